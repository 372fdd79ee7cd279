import {
  decide, matchRecord, planUnlink, probeKeys, storedKeys, sourceKey,
  type CandidateEntity, type DecideOptions, type EntityLinks, type MatchRecord, type Resolution, type UnlinkRequest, type WorldEvent,
} from '@cr/world-model';

/**
 * Resolution of a batch of events over a snapshot of the service's state. Pure:
 * the store loads the snapshot, this decides, the store writes the change set
 * and produces the outputs. Records of one batch see each other (a later record
 * can link to an entity an earlier one created).
 */

export interface EntityRow {
  entityId: string;
  entityType: string;
  createdSeq: number;
  /** Source key of the record that founded it. */
  founder: string;
  /** Bumped on every membership change: the revision of its `entity.links`. */
  revision: number;
  /** False once merged into another entity or emptied. */
  alive: boolean;
}

export interface MemberRow {
  sourceKey: string;
  entityId: string;
  entityType: string;
  record: MatchRecord;
  tier: number;
  rule: string;
  score: number;
  features: string[];
  linkedSeq: number;
  linkedAt: number;
  firstEventId: string;
}

/** What an event caused besides its own resolved event: replayed as-is on a re-delivery. */
export interface Effects {
  /** Entities whose membership changed: their `entity.links` is published. */
  links: string[];
  /** Records that moved to another entity: their events are re-published under it. */
  moved: string[];
}

export interface Snapshot {
  /** Index key -> source keys holding it, for every key the batch probes (empty set: none). */
  keyMembers: Map<string, Set<string>>;
  entities: Map<string, EntityRow>;
  /** Every member of every loaded entity, and the batch's own records already known, by source key. */
  members: Map<string, MemberRow>;
  cannotLink: Set<string>;
  /** Events already resolved (a re-delivery), with what they caused. */
  seen: Map<string, Effects>;
}

export interface ItemResult {
  entityId: string;
  resolution: Resolution;
  effects: Effects;
  /** A re-delivered event: nothing changes, the outputs are sent again. */
  replay: boolean;
}

export interface ChangeSet {
  entities: Map<string, EntityRow>;
  members: Map<string, MemberRow>;
  keys: Array<[key: string, sourceKey: string]>;
  events: Array<{ event: WorldEvent; sourceKey: string; effects: Effects }>;
  cannotLink: string[];
}

export interface EngineOptions {
  decide: Omit<DecideOptions, 'cannotLink'>;
  /** The id of an entity founded by a record. */
  idFor: (entityType: string, sourceKey: string) => string;
  /** The id of the entity a record gets when an operator splits it off the entity it founded. */
  splitIdFor: (entityType: string, sourceKey: string, from: string) => string;
}

export class Engine {
  readonly changes: ChangeSet = { entities: new Map(), members: new Map(), keys: [], events: [], cannotLink: [] };
  private readonly byEntity = new Map<string, Set<string>>();
  private readonly snap: Snapshot;
  private readonly options: EngineOptions;

  constructor(snap: Snapshot, options: EngineOptions) {
    this.snap = snap;
    this.options = options;
    const ordered = [...snap.members.values()].sort((a, b) => a.linkedSeq - b.linkedSeq);
    for (const m of ordered) this.memberSet(m.entityId).add(m.sourceKey);
  }

  private memberSet(entityId: string): Set<string> {
    let s = this.byEntity.get(entityId);
    if (!s) { s = new Set(); this.byEntity.set(entityId, s); }
    return s;
  }

  private putEntity(e: EntityRow): void {
    this.snap.entities.set(e.entityId, e);
    this.changes.entities.set(e.entityId, e);
  }

  private putMember(m: MemberRow): void {
    const before = this.snap.members.get(m.sourceKey);
    if (before && before.entityId !== m.entityId) this.byEntity.get(before.entityId)?.delete(m.sourceKey);
    this.snap.members.set(m.sourceKey, m);
    this.changes.members.set(m.sourceKey, m);
    this.memberSet(m.entityId).add(m.sourceKey);
  }

  private bump(entityId: string, alive = true): void {
    const e = this.snap.entities.get(entityId)!;
    this.putEntity({ ...e, revision: e.revision + 1, alive });
  }

  /** Resolves one event; `seq` orders entities and members (unique, increasing). */
  resolve(event: WorldEvent, seq: number, record: MatchRecord = matchRecord(event)): ItemResult {
    const key = sourceKey(event.source);
    const seen = this.snap.seen.get(event.eventId);
    const known = this.snap.members.get(key);
    if (seen && known) {
      return { entityId: known.entityId, resolution: { tier: known.tier, rule: known.rule, score: known.score, features: known.features }, effects: seen, replay: true };
    }
    const candidates = this.candidates(record);
    const decision = decide(record, candidates, { ...this.options.decide, cannotLink: this.snap.cannotLink });
    const effects: Effects = { links: [], moved: [] };
    const member = (entityId: string, resolution: Resolution): MemberRow => ({
      sourceKey: key, entityId, entityType: event.entityType, record, tier: resolution.tier, rule: resolution.rule, score: resolution.score,
      features: resolution.features, linkedSeq: seq, linkedAt: event.recordedAt, firstEventId: event.eventId,
    });
    let entityId: string;
    if (decision.kind === 'new') {
      entityId = this.options.idFor(event.entityType, key);
      const before = this.snap.entities.get(entityId);
      this.putEntity(before
        ? { ...before, alive: true, founder: key, revision: before.revision + 1 }
        : { entityId, entityType: event.entityType, createdSeq: seq, founder: key, revision: 1, alive: true });
      this.putMember(member(entityId, decision.resolution));
      effects.links.push(entityId);
    } else {
      entityId = decision.entityId;
      if (decision.kind === 'merge') {
        for (const absorbed of decision.absorbed) {
          for (const moving of [...this.memberSet(absorbed)]) {
            this.putMember({ ...this.snap.members.get(moving)!, entityId });
            effects.moved.push(moving);
          }
          this.bump(absorbed, false);
          effects.links.push(absorbed);
        }
      }
      if (known && known.entityId === entityId) {
        // A new version of a record already in the entity: its features may have changed.
        this.putMember({ ...known, record });
      } else {
        this.putMember(member(entityId, decision.resolution));
      }
      if (decision.kind === 'merge' || !known || known.entityId !== entityId) {
        this.bump(entityId);
        effects.links.unshift(entityId);
      }
    }
    for (const k of storedKeys(record)) {
      this.changes.keys.push([k, key]);
      const holders = this.snap.keyMembers.get(k);
      if (holders) holders.add(key);
      else this.snap.keyMembers.set(k, new Set([key]));
    }
    this.snap.seen.set(event.eventId, effects);
    this.changes.events.push({ event, sourceKey: key, effects });
    return { entityId, resolution: decision.resolution, effects, replay: false };
  }

  private candidates(record: MatchRecord): CandidateEntity[] {
    const ids = new Set<string>();
    const own = this.snap.members.get(record.sourceKey);
    if (own) ids.add(own.entityId);
    for (const k of probeKeys(record)) {
      for (const sk of this.snap.keyMembers.get(k) ?? []) {
        const m = this.snap.members.get(sk);
        if (m && m.entityType === record.entityType && this.snap.entities.get(m.entityId)?.alive) ids.add(m.entityId);
      }
    }
    return [...ids].sort().map((entityId) => ({
      entityId,
      createdSeq: this.snap.entities.get(entityId)!.createdSeq,
      members: [...this.memberSet(entityId)].map((sk) => this.snap.members.get(sk)!.record),
    }));
  }

  /**
   * An operator's unlink: the named records leave the entity as an entity of
   * their own; every pair across the two sides becomes a cannot-link. Throws
   * when the request does not fit the entity (the caller decides if that is
   * worth a retry).
   */
  unlink(req: UnlinkRequest, seq: number): { effects: Effects } | { noop: string } {
    const entity = this.snap.entities.get(req.entityId);
    if (!entity || !entity.alive) return { noop: `entity ${req.entityId} is not known (yet)` };
    const members = [...this.memberSet(req.entityId)].map((sk) => ({ sourceKey: sk, seq: this.snap.members.get(sk)!.linkedSeq }));
    const plan = planUnlink(req.entityId, members, req.sourceKeys, (sk) => this.options.idFor(entity.entityType, sk), (sk, from) => this.options.splitIdFor(entity.entityType, sk, from));
    if (plan.kind === 'noop') return { noop: plan.reason };
    const [, other] = plan.sides;
    const before = this.snap.entities.get(other.entityId);
    this.putEntity(before
      ? { ...before, alive: true, founder: other.members[0]!, revision: before.revision + 1 }
      : { entityId: other.entityId, entityType: entity.entityType, createdSeq: seq, founder: other.members[0]!, revision: 1, alive: true });
    for (const sk of other.members) {
      const m = this.snap.members.get(sk)!;
      this.putMember({ ...m, entityId: other.entityId, tier: 0, rule: 'operator-unlink', score: 1, features: [`unlinked-from:${req.entityId}`] });
    }
    this.bump(req.entityId);
    for (const pair of plan.cannotLink) this.snap.cannotLink.add(pair);
    this.changes.cannotLink.push(...plan.cannotLink);
    return { effects: { links: [req.entityId, other.entityId], moved: other.members } };
  }

  /** The entity's current membership, as published on `entity.links`. */
  linksOf(entityId: string, change: string, reason: string | null): EntityLinks {
    const entity = this.snap.entities.get(entityId)!;
    const members = entity.alive ? [...this.memberSet(entityId)].map((sk) => this.snap.members.get(sk)!) : [];
    return {
      entityId, entityType: entity.entityType,
      members: members.map((m) => ({ sourceKey: m.sourceKey, rule: m.rule, score: m.score, features: m.features, linkedAt: m.linkedAt })),
      change, changedBy: 'resolution', reason, revision: entity.revision,
    };
  }

  /** Entity of a record now (after the batch's changes). */
  entityOf(sourceKeyOfRecord: string): string | undefined {
    return this.snap.members.get(sourceKeyOfRecord)?.entityId;
  }

  member(sourceKeyOfRecord: string): MemberRow | undefined {
    return this.snap.members.get(sourceKeyOfRecord);
  }
}
