import { expect } from 'chai';
import { randomClusterId } from './nodes.ts';

describe('randomClusterId', () => {
  it('makes 22-character base64url ids that never start with "-" (StorageTool would read one as an option)', () => {
    // One id in 64 would start with "-" if drawn plainly: 2,000 draws all but certainly meet one.
    const ids = Array.from({ length: 2_000 }, () => randomClusterId());
    expect(ids.filter((id) => !/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(id))).to.deep.equal([]);
    expect(new Set(ids).size).to.equal(ids.length);
  });
});
