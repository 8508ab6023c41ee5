import { describe, expect, it } from 'vitest';
import { RetrievalHitSchema } from '../../src/graph/copilot/schemas.js';
import type { RetrievalOutcome } from '../../src/graph/copilot/retrieval.js';
import { mergeRelevant } from '../../src/tools/retrievalMerge.js';

// Hits as Graph sends them (docs/api/ai-services/retrieval/copilotroot-retrieval.md), decoded by our schema.
const hit = (json: unknown) => RetrievalHitSchema.parse(json);
const doc = (name: string) => `https://contoso.sharepoint.com/sites/IT/Shared%20Documents/${name}.docx`;

const sharePoint: RetrievalOutcome = {
  source: 'sharePoint',
  hits: [
    hit({
      webUrl: doc('VPN'),
      resourceType: 'listItem',
      extracts: [
        { text: 'Install the VPN client.', relevanceScore: 0.81234 },
        { text: 'Sign in with MFA.', relevanceScore: 0.5 },
      ],
      resourceMetadata: { title: 'VPN guide', Author: 'Adele' },
      sensitivityLabel: { sensitivityLabelId: 'f663b747-dfd0-46f8-91c7-36d3f427be7e', displayName: 'Internal', priority: 1 },
    }),
    hit({ webUrl: doc('Cards'), resourceType: 'listItem', extracts: [{ text: 'Card guidelines.', relevanceScore: 0.2 }], resourceMetadata: { title: 'Cards' } }),
    hit({ webUrl: null, resourceType: 'listItem', extracts: [{ text: 'No url.', relevanceScore: 0.99 }] }),
    hit({ webUrl: doc('Unscored'), resourceType: 'externalItem', extracts: [{ text: 'Connector text.' }], resourceMetadata: { title: 'Unscored' } }),
  ],
};
const oneDrive: RetrievalOutcome = {
  source: 'oneDriveBusiness',
  hits: [
    // The same document again: its new extract joins the first hit's; the repeated text (with a
    // higher score) does not, so it does not raise the document's rank either.
    hit({
      webUrl: doc('VPN'),
      resourceType: 'driveItem',
      extracts: [
        { text: 'Sign in with MFA.', relevanceScore: 0.95 },
        { text: 'Ten minutes.', relevanceScore: 0.61 },
      ],
      resourceMetadata: { title: 'Other title' },
    }),
    hit({ webUrl: doc('Laptop'), resourceType: 'driveItem', extracts: [{ text: 'Laptop setup.', relevanceScore: 0.9 }], resourceMetadata: { title: 'Laptop' } }),
  ],
};
const failed: RetrievalOutcome = { source: 'externalItem', error: new Error('throttled') as never };

describe('mergeRelevant: copilot_retrieve merges by url, ranks, then builds only the hits it keeps', () => {
  it('keeps hits at or above 40% of the best score, unscored ones too, and counts the rest', () => {
    const { kept, leftOut } = mergeRelevant([sharePoint, failed, oneDrive], ['author'], undefined);
    expect(kept).toEqual([
      { url: doc('Laptop'), title: 'Laptop', source: 'oneDriveBusiness', resourceType: 'driveItem', extracts: [{ text: 'Laptop setup.', relevanceScore: 0.9 }] },
      {
        url: doc('VPN'),
        title: 'VPN guide',
        source: 'sharePoint',
        resourceType: 'listItem',
        extracts: [
          { text: 'Install the VPN client.', relevanceScore: 0.812 },
          { text: 'Sign in with MFA.', relevanceScore: 0.5 },
          { text: 'Ten minutes.', relevanceScore: 0.61 },
        ],
        sensitivityLabel: { id: 'f663b747-dfd0-46f8-91c7-36d3f427be7e', name: 'Internal', priority: 1 },
        metadata: { Author: 'Adele' },
      },
      { url: doc('Unscored'), title: 'Unscored', source: 'sharePoint', resourceType: 'externalItem', extracts: [{ text: 'Connector text.' }] },
    ]);
    // Cards (0.2) is under 40% of 0.9; the hit without a url is not counted here (sources[].droppedHits says it).
    expect(leftOut).toBe(1);
  });

  it('keeps every hit, in rank order, when maxResults is given', () => {
    const { kept, leftOut } = mergeRelevant([sharePoint, oneDrive], [], 25);
    expect(kept.map((h) => [h.title, h.metadata])).toEqual([
      ['Laptop', undefined],
      ['VPN guide', undefined],
      ['Cards', undefined],
      ['Unscored', undefined],
    ]);
    expect(leftOut).toBe(0);
  });

  it('ranks by the scores the answer shows (rounded to three decimals): a tie keeps Graph\'s order', () => {
    const tied: RetrievalOutcome = {
      source: 'sharePoint',
      hits: [
        hit({ webUrl: doc('A'), resourceType: 'listItem', extracts: [{ text: 'a', relevanceScore: 0.81234 }] }),
        hit({ webUrl: doc('B'), resourceType: 'listItem', extracts: [{ text: 'b', relevanceScore: 0.81249 }] }),
        hit({ webUrl: doc('C'), resourceType: 'listItem', extracts: [{ text: 'c' }, { text: 'c2', relevanceScore: 0.9 }] }),
      ],
    };
    const { kept } = mergeRelevant([tied], [], undefined);
    expect(kept.map((h) => [h.url, h.extracts.map((e) => e.relevanceScore)])).toEqual([
      [doc('C'), [undefined, 0.9]],
      [doc('A'), [0.812]],
      [doc('B'), [0.812]],
    ]);
  });

  it('describes the thumbnails of the first hit of a document (beta includeThumbnails)', () => {
    const withPages: RetrievalOutcome = {
      source: 'sharePoint',
      hits: [
        hit({
          webUrl: doc('Deck'),
          resourceType: 'listItem',
          extracts: [{ text: 'Slide text.', relevanceScore: 0.7, pageNumbers: [2] }],
          thumbnails: [{ pageNumber: 2, mimeType: 'image/png', content: 'base64iVBORw0KGgo=' }],
        }),
      ],
    };
    expect(mergeRelevant([withPages], [], undefined).kept).toEqual([
      {
        url: doc('Deck'),
        source: 'sharePoint',
        resourceType: 'listItem',
        extracts: [{ text: 'Slide text.', relevanceScore: 0.7, pageNumbers: [2] }],
        thumbnails: [{ pageNumber: 2, mediaType: 'image/png', bytes: 8 }],
      },
    ]);
  });
});
