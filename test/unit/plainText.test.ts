import { describe, expect, it } from 'vitest';
import { bodyToPlainText, cardText, decodeEntities } from '../../src/tools/plainText.js';

describe('interaction body to plain text', () => {
  it('keeps text bodies as they are', () => {
    expect(bodyToPlainText({ contentType: 'text', content: 'What should be on my radar?' })).toBe('What should be on my radar?');
  });

  it('strips html and decodes entities', () => {
    expect(bodyToPlainText({ contentType: 'html', content: '<p>Q3 &amp; Q4 <b>budget</b></p><p>next&nbsp;steps &#39;ok&#39;</p>' })).toBe("Q3 & Q4 budget\nnext steps 'ok'");
  });

  it('replaces attachment placeholders with adaptive card text', () => {
    const card = JSON.stringify({ type: 'AdaptiveCard', body: [{ type: 'TextBlock', text: 'No important emails last week.' }, { type: 'Container', items: [{ type: 'TextBlock', text: 'Two meetings moved.' }] }] });
    const text = bodyToPlainText({ contentType: 'html', content: '<attachment id="a1"></attachment>' }, [
      { attachmentId: 'a1', contentType: 'application/vnd.microsoft.card.adaptive', content: card, name: null },
    ]);
    expect(text).toBe('No important emails last week.\nTwo meetings moved.');
  });

  it('falls back to the attachment name, and drops unknown placeholders', () => {
    expect(bodyToPlainText({ contentType: 'text', content: 'See <attachment id="x"></attachment> and <attachment id="gone"></attachment>.' }, [{ attachmentId: 'x', name: 'Teams Meeting Copilot', content: null }])).toBe(
      'See [Teams Meeting Copilot] and .',
    );
  });

  it('survives malformed cards and entities', () => {
    expect(cardText('{not json')).toBeUndefined();
    expect(decodeEntities('&bogus; &#xZZ; &#0;')).toBe('&bogus; &#xZZ; &#0;');
  });
});
