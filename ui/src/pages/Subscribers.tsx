export function SubscribersPage() {
  return (
    <section aria-labelledby="subs-h">
      <h1 id="subs-h" tabIndex={-1}>Subscribers</h1>
      <p>Subscriber pages are not built yet.</p>
    </section>
  );
}

export function SubscriberPage({ id }: { id: string }) {
  return (
    <section aria-labelledby="sub-h">
      <h1 id="sub-h" tabIndex={-1}>Subscriber {id}</h1>
      <p>Subscriber pages are not built yet.</p>
    </section>
  );
}
