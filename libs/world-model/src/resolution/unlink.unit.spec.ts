import { describe, expect, it } from 'vitest';
import { asUnlinkRequest, unlinkRequestMessage } from './commands.ts';
import { pairKey } from './decide.ts';
import { planUnlink } from './unlink.ts';

const members = [{ sourceKey: 'ehr/Patient/1', seq: 1 }, { sourceKey: 'crm/PatientRow/9', seq: 2 }, { sourceKey: 'portal/Patient/3', seq: 3 }];
const idFor = (k: string): string => `ent-of-${k}`;
const splitIdFor = (k: string, from: string): string => `ent-of-${k}-from-${from}`;

describe('unlink', () => {
  it('given an entity of three records, when the operator splits one off, then the rest keep the id and it gets its own', () => {
    const plan = planUnlink('ent-1', members, ['crm/PatientRow/9'], idFor, splitIdFor);
    expect(plan).toEqual({
      kind: 'split',
      sides: [{ entityId: 'ent-1', members: ['ehr/Patient/1', 'portal/Patient/3'] }, { entityId: 'ent-of-crm/PatientRow/9', members: ['crm/PatientRow/9'] }],
      cannotLink: [pairKey('ehr/Patient/1', 'crm/PatientRow/9'), pairKey('portal/Patient/3', 'crm/PatientRow/9')],
    });
  });

  it('given the founding record is split off, then the rest still keep the id and the founder gets one derived from both', () => {
    const plan = planUnlink('ent-of-ehr/Patient/1', members, ['ehr/Patient/1'], idFor, splitIdFor);
    expect(plan.kind === 'split' && plan.sides.map((s) => s.entityId)).toEqual(['ent-of-ehr/Patient/1', 'ent-of-ehr/Patient/1-from-ent-of-ehr/Patient/1']);
  });

  it('refuses to split off nothing or everything', () => {
    expect(planUnlink('ent-1', members, ['other/X/1'], idFor, splitIdFor)).toMatchObject({ kind: 'noop' });
    expect(planUnlink('ent-1', members, members.map((m) => m.sourceKey), idFor, splitIdFor)).toMatchObject({ kind: 'noop' });
  });

  it('round-trips an operator command through its topic form, and ignores resolution\'s own messages', () => {
    const req = { requestId: 'r-1', entityId: 'ent-1', entityType: 'Patient', sourceKeys: ['crm/PatientRow/9'], operator: 'alice', reason: 'different people', requestedAt: 5 };
    const m = unlinkRequestMessage(req);
    expect(m.key).toBe('ent-1/unlink/r-1');
    expect(asUnlinkRequest(m.key, m.value)).toEqual(req);
    expect(asUnlinkRequest('ent-1', { ...m.value, changedBy: 'resolution' })).toBeUndefined();
  });
});
