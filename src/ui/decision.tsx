// The two buttons that end a login page's form: go on, or the way back. Both are named `action`, so
// the route reads one field to know which was pressed (TestID, consent, fullmakt).

export interface DecisionButton {
  value: string;
  label: string;
}

export function Decision({ proceed, back, backSkipsValidation }: { proceed: DecisionButton; back: DecisionButton; backSkipsValidation?: boolean }) {
  return (
    <div class="actions">
      <button type="submit" name="action" value={proceed.value} class="ds-button" data-variant="primary">{proceed.label}</button>
      <button type="submit" name="action" value={back.value} class="ds-button" data-variant="secondary" formNoValidate={backSkipsValidation}>{back.label}</button>
    </div>
  );
}
