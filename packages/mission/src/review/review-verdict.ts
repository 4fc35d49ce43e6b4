/** What a reviewer's completion result says about the submission. */
export type ReviewVerdict =
  | { verdict: 'approve'; note: string }
  | { verdict: 'changes'; reason: string }
  /**
   * Neither an approval nor a rejection. The original counted any such text as approval, so "not yet,
   * still reading" merged work; the caller decides instead (ask the reviewer again, or a person).
   */
  | { verdict: 'unclear'; text: string };

const APPROVE = /^(?:approved?|lgtm)\b[\s:.,!-]*/i;
const CHANGES =
  /^(?:rejected?|changes[\s_-]+requested|request(?:ed)?[\s_-]+changes|needs[\s_-]+changes)\b[\s:.,!-]*/i;

/** Reviewers (AI CLIs) often wrap the verdict in markdown: `**Approved**`, `> rejected: …`, `` `lgtm` ``. */
function stripDecoration(text: string): string {
  return text
    .trim()
    .replace(/^[\s>*_`#-]+/, '')
    .replace(/^(\w+(?:[\s_-]+\w+)?)[*_`]+/, '$1');
}

export function parseReviewVerdict(result: string): ReviewVerdict {
  const text = stripDecoration(result);
  const changes = CHANGES.exec(text);
  if (changes) {
    const reason = text.slice(changes[0].length).trim();
    return { verdict: 'changes', reason: reason || text };
  }
  const approve = APPROVE.exec(text);
  if (approve) return { verdict: 'approve', note: text.slice(approve[0].length).trim() };
  return { verdict: 'unclear', text: result.trim() };
}
