// Where the provider answers: ID-porten's endpoint paths, and where an interaction's pages are.

export const ROUTES = {
  authorization: '/authorize',
  pushed_authorization_request: '/par',
  token: '/token',
  userinfo: '/userinfo',
  jwks: '/jwks.json',
  end_session: '/logout',
  revocation: '/token/revoke',
  introspection: '/token/introspect',
} as const;

/**
 * Where an interaction's pages (login, consent, fullmakt chooser; src/login/) are: under the path
 * its authorization resumes at, /authorize/<uid>, whose cookie a form posted there carries, so that
 * the form's request can resume the authorization itself (src/login/interaction-routes.ts).
 */
export const interactionPath = (uid: string) => `${ROUTES.authorization}/${uid}/login`;
export const INTERACTION_ROUTE = `${ROUTES.authorization}/:uid/login`;
const INTERACTION_PATH = new RegExp(`^${ROUTES.authorization}/[^/]+/login$`);
export const isInteractionPath = (pathname: string) => INTERACTION_PATH.test(pathname);
