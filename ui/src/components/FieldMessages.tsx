/** Error messages under a form field; `id` is referenced by the field's aria-describedby. */
export function FieldMessages({ id, messages }: { id: string; messages: string[] }) {
  if (messages.length === 0) return null;
  return (
    <small id={id} className="field-error" role="alert">
      {messages.map((m, i) => (
        <span key={i}>
          {m}
          {i < messages.length - 1 ? <br /> : null}
        </span>
      ))}
    </small>
  );
}
