import type { EntityLinks } from '../types.ts';

/**
 * An operator's unlink, as it travels on `entity.link-requests.v1`: an EntityLinks
 * with `change: 'unlink'`, `changedBy: 'operator:<who>'`, and as members the
 * source records to split off. Requests have their own topic because every
 * message on `entity.links.v1` is a statement of an entity's membership (the
 * projection rebuilds each entity from its members' events); resolution answers
 * a request there, for both sides. The key `<entityId>/unlink/<requestId>` is
 * unique per request, so compaction keeps every request for a rebuild.
 */
export interface UnlinkRequest {
  requestId: string;
  entityId: string;
  entityType: string;
  /** `dataSourceId/resourceType/externalId` of each record to split off. */
  sourceKeys: string[];
  operator: string;
  reason: string;
  requestedAt: number;
}

export const OPERATOR_PREFIX = 'operator:';

export function unlinkRequestMessage(req: UnlinkRequest): { key: string; value: EntityLinks } {
  return {
    key: `${req.entityId}/unlink/${req.requestId}`,
    value: {
      entityId: req.entityId,
      entityType: req.entityType,
      members: req.sourceKeys.map((sourceKey) => ({ sourceKey, rule: 'operator-unlink', score: 1, features: [], linkedAt: req.requestedAt })),
      change: 'unlink',
      changedBy: `${OPERATOR_PREFIX}${req.operator}`,
      reason: req.reason,
      revision: 0,
    },
  };
}

/** The unlink request a message carries, or undefined for anything else (resolution's own messages included). */
export function asUnlinkRequest(key: string | null, value: EntityLinks | null): UnlinkRequest | undefined {
  if (!value || value.change !== 'unlink' || !value.changedBy?.startsWith(OPERATOR_PREFIX)) return undefined;
  const m = key ? /\/unlink\/(.+)$/.exec(key) : null;
  const requestedAt = value.members.reduce((t, m2) => Math.max(t, m2.linkedAt), 0);
  return {
    requestId: m?.[1] ?? `${value.entityId}@${requestedAt}:${value.members.map((x) => x.sourceKey).sort().join(',')}`,
    entityId: value.entityId,
    entityType: value.entityType,
    sourceKeys: value.members.map((x) => x.sourceKey),
    operator: value.changedBy.slice(OPERATOR_PREFIX.length),
    reason: value.reason ?? '',
    requestedAt,
  };
}
