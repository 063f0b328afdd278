// The line above a signed-in page of Portvakt's own services (the portal, the person's overview):
// who is signed in, the service's own links, and the button that signs out (a form: signing out
// changes state, so it is a POST with the session's CSRF token).
import type { ComponentChildren } from 'preact';

export function SignedInBar({ who, logoutAction, logoutLabel, csrf, children }: { who: string; logoutAction: string; logoutLabel: string; csrf: string; children?: ComponentChildren }) {
  return (
    <div class="portal-bar">
      <span>{who}</span>
      {children}
      <form method="post" action={logoutAction} class="inline">
        <input type="hidden" name="csrf" value={csrf} />
        <button type="submit" class="ds-button" data-variant="tertiary">{logoutLabel}</button>
      </form>
    </div>
  );
}
