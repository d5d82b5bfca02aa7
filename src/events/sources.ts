// Where a view or verification came from: the `src` tag our shared links carry wins, else the
// referrer's host. Crawlers and link-preview bots are recognised by their user agent.

export type Source = 'linkedin' | 'email' | 'embed' | 'search' | 'direct' | 'other';

const TAGS = new Set<Source>(['linkedin', 'email', 'embed', 'search', 'direct', 'other']);

export function sourceOf(referrer: string | undefined, srcTag: unknown): Source {
  if (typeof srcTag === 'string') {
    const tag = srcTag.toLowerCase();
    if (TAGS.has(tag as Source)) return tag as Source;
    if (tag.startsWith('linkedin')) return 'linkedin';
    if (tag === 'x' || tag === 'facebook') return 'other';
  }
  if (!referrer) return 'direct';
  let host: string;
  try {
    host = new URL(referrer).hostname.toLowerCase();
  } catch {
    return 'other';
  }
  if (host === 'lnkd.in' || host.endsWith('linkedin.com')) return 'linkedin';
  if (/(^|\.)(mail\.google\.com|outlook\.(live|office)\.com|mail\.yahoo\.com)$/.test(host) || host.startsWith('mail.')) return 'email';
  if (/(^|\.)(google|bing|duckduckgo|yahoo|baidu|yandex|ecosia)\.[a-z.]+$/.test(host)) return 'search';
  return 'other';
}

const BOT = /bot|crawl|spider|slurp|facebookexternalhit|linkedinbot|slackbot|twitterbot|whatsapp|telegrambot|discordbot|embedly|preview|headlesschrome|curl|wget|python-requests|go-http-client/i;

export const isBot = (userAgent: string | undefined): boolean => !userAgent || BOT.test(userAgent);
