/**
 * Sends result notifications (rules.yaml `notify`) as a JSON POST to a webhook URL. The URL comes
 * from the admin's rules file, never from a received string. A non-2xx answer or a timeout throws,
 * so the caller audits the failure.
 */
export class WebhookNotifier {
  constructor(private readonly opts: { timeoutMs?: number; userAgent?: string } = {}) {}

  async notify(url: string, payload: Record<string, unknown>): Promise<void> {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new Error(`webhook ${u.protocol} is not http(s)`);
    const res = await fetch(u, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': this.opts.userAgent ?? 'pacs-ai-node' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
    });
    if (!res.ok) throw new Error(`webhook answered HTTP ${res.status}`);
  }
}
