/** Weakened variants of the client-server sync (see src/scenario/variants.ts). Never the default. */
export const CS_VARIANTS = [
  {
    name: 'cs-pending-from-sent',
    area: 'client-server',
    description:
      "the pending count is local changes newer than the last *sent* version (the seed's Option A) instead of the last acknowledged one: a push lost with its connection shows 0 pending while the server never stored it (invariant:pending-count, scenario cs-pending-count).",
  },
  {
    name: 'cs-green-on-open',
    area: 'client-server',
    description:
      'the status turns green when the sync connection opens, before the handshake (the seed before its meta check): a rebuilt server shows green (model:sync-status, scenario cs-rebuilt-server).',
  },
  {
    name: 'cs-no-lineage-check',
    area: 'client-server',
    description:
      "the handshake (and the meta check) compare the schema only, not the server's site id: a rebuilt server is taken for the one this database synced with and the footer turns green against it (invariant:incompatible-reported, scenario cs-rebuilt-server).",
  },
  {
    name: 'cs-no-ack-replay',
    area: 'client-server',
    description:
      'after a reconnect the client resumes pushing after what it last sent instead of what the handshake says the server acknowledged: changes sent into a dropped connection are never sent again (invariant:green-pushes, scenario cs-lost-final-ack).',
  },
  {
    name: 'cs-stuck-on-outage',
    area: 'client-server',
    description:
      'refused and timed-out connection attempts count as rapid failures: a long but healthy outage (server down) shows "stuck" and offers Nuke (model:sync-status, scenario cs-long-outage).',
  },
  {
    name: 'cs-progress-chunks',
    area: 'client-server',
    description:
      'download progress counts chunks instead of records (the seed before its fix): 5,000 records show as 25 (invariant:progress, scenario cs-progress-5000).',
  },
  {
    name: 'cs-nuke-drops-pending',
    area: 'client-server',
    description:
      'Nuke and Resync wipes the local database without exporting the changes the server has not acknowledged: local work lost without a word (invariant:nuke-reports, scenario cs-rebuilt-server).',
  },
  {
    name: 'cs-meta-only-lineage',
    area: 'client-server',
    description:
      "the seed as it is: the server's lineage is checked only by the HTTP meta channel; the sync connection's Hello carries no remembered site id and the Welcome is checked for the schema only. It passes cs-rebuilt-server (the meta channel warns) and fails cs-meta-blocked-rebuild (model:sync-status: green against the rebuilt server): why the handshake must carry the lineage.",
  },
  {
    name: 'cs-lost-wakeup',
    area: 'client-server',
    description:
      'a local write made while a push is unacknowledged starts no push: it waits for the next write, and a workload that goes quiet strands it while the footer stays green (invariant:green-pushes, scenario cs-quiet-bursts).',
  },
  {
    name: 'cs-fresh-on-pong',
    area: 'client-server',
    description:
      'the connection counts as fresh from when a ping answer arrived instead of when the answered ping was sent: on a link whose latency grows slowly the answers keep arriving, ever older, and the footer stays green seconds behind the server (invariant:green-has-server-changes, scenario cs-latency-creep).',
  },
  {
    name: 'cs-tabs-no-handover',
    area: 'client-server',
    description:
      "several tabs: a deposed leader tab keeps its sync client running (no revocation, no kv fence, no lease test): a leader frozen past its lease resumes beside the new leader's client, writes the device's database and syncs it on a second connection (invariant:tabs-fenced; on the network evidence alone invariant:tabs-one-connection; scenario cs-tabs).",
  },
  {
    name: 'cs-tabs-stale-status',
    area: 'client-server',
    description:
      "several tabs: a follower tab keeps showing the last status it heard from a leader, however old: after the leader tab crashed while green, the other tabs show green while no tab syncs (invariant:tabs-agree, scenario cs-tabs).",
  },
  {
    name: 'cs-nuke-forgets-export',
    area: 'client-server',
    description:
      "a second Nuke and Resync replaces the first one's export instead of adding to it, while the count shown still adds both: changes the user was told are unsaved are silently deleted (invariant:nuke-reports, scenario cs-two-nukes).",
  },
  {
    name: 'cs-nuke-no-push',
    area: 'client-server',
    description:
      'Nuke and Resync never pushes first: changes a compatible server would have taken are exported as unsaved instead of saved (expect:C1-nuke-pushed-first, scenario cs-nuke-push-first).',
  },
  {
    name: 'cs-stuck-late',
    area: 'client-server',
    description:
      'stuck after one rapid failure more than configured (4 failed handshakes instead of 3): the footer keeps saying connecting while the evidence already says stuck (invariant:stuck-in-time, scenario cs-stuck-handshake).',
  },
  {
    name: 'cs-no-progress-ignored',
    area: 'client-server',
    description:
      'an open connection that makes no progress (the server answers pings but acknowledges nothing) never makes the client stuck: the footer shows syncing forever (invariant:stuck-in-time, scenario cs-no-progress).',
  },
  {
    name: 'cs-incompatible-silent',
    area: 'client-server',
    description:
      'an incompatible server (rebuilt, another schema) is never reported: the client closes and retries, and ends stuck at best (invariant:incompatible-reported, scenario cs-meta-blocked-rebuild).',
  },
  {
    name: 'cs-ack-before-durable',
    area: 'client-server',
    description:
      "the server acknowledges a push when it arrives, before its append is durable: a power loss or a failed write in between loses changes the client was told are stored, and it never resends them (invariant:no-loss-no-dup, scenario cs-server-torn-append).",
  },
  {
    name: 'cs-failures-not-reset',
    area: 'client-server',
    description:
      'the count of connections that failed before their handshake is not reset when a handshake completes: failures that were never in a row (a server that hangs now and then, green in between) add up, and the third one shows stuck (model:sync-status, scenario cs-flaky-handshakes).',
  },
  {
    name: 'cs-nuke-push-late',
    area: 'client-server',
    description:
      "Nuke and Resync's own handshake pushes from one version after the first one the server lacks: the server refuses the change past the gap and everything after it, so changes it would have taken are exported as unsaved (expect:C1-nuke-pushed-first, scenario cs-nuke-push-unsent; cs-nuke-push-first does not see it: the old connection had sent them already).",
  },
  {
    name: 'cs-acked-not-reloaded',
    area: 'client-server',
    description:
      'a restarted client does not read back the acknowledged version it recorded: until its next handshake it shows every change it ever made as pending, for as long as an outage lasts, and a Nuke in that window reports saved changes as unsaved (invariant:pending-count, scenario cs-long-outage; invariant:nuke-reports in cs-rebuild-client-down).',
  },
  {
    name: 'cs-tabs-unaddressed',
    area: 'client-server',
    description:
      "several tabs (the bench's own tabs.ts before this was found): a forwarded write is not addressed to a leader's epoch, so when a follower hears a new leader while its request is still on its way to that same leader, it sends it again and the new leader takes both: one write stored twice (invariant:tab-writes, scenario cs-tabs-busy; cs-tabs, one write every 60 ms, never has one in flight then).",
  },
  {
    name: 'cs-tabs-own-untaken',
    area: 'client-server',
    description:
      "several tabs (the bench's own tabs.ts before this was found): a tab that becomes the leader never takes its own forwarded writes that no leader took (it hears none of its own posts, so no status sends them again): a write made in a follower tab just as the user closes the leader tab, and that tab takes over, fails after forwardTimeoutMs though its own tab leads (invariant:tab-writes-taken: cs-tabs seeds 3 and 4, cs-tabs-busy seeds 0 and 3, of 0..5).",
  },
  {
    name: 'cs-cursor-before-durable',
    area: 'client-server',
    description:
      "a client moves its in-memory cursor past a pulled batch before the batch's commit is durable: when that commit fails, the next handshake asks for changes after the batch, which the client never stores (invariant:no-loss-no-dup and model:sync-status in cs-client-store-errors, where the clients' kv commits fail; it passed every smoke and ci scenario and cs-swarm seeds 0..19).",
  },
  {
    name: 'cs-tabs-resend-accepted',
    area: 'client-server',
    description:
      "several tabs: a forwarded write a leader already took is sent again to each newer leader heard: when the leader froze or crashed right after the write was durable, before its answer, the next leader finds the write in the device's change log and takes the resend too, so the change is stored twice (invariant:tab-writes, scenario cs-tabs-commit-unanswered, where the leader tab is frozen or crashed right after a forwarded write's commit).",
  },
  {
    name: 'cs-tabs-untold-maybe',
    area: 'client-server',
    description:
      "several tabs: a forwarded write a leader took and never answered is reported \"not saved\" when it times out, although the leader may have written it before it froze or crashed (the next leader pushes it): the user retries and stores it twice, or gives up on a change the server has (invariant:tab-write-answers, scenario cs-tabs-commit-unanswered).",
  },
  {
    name: 'cs-tabs-written-on-accept',
    area: 'client-server',
    description:
      "several tabs: the leader tab answers a forwarded write `written` as soon as it takes it, before its client's commit is durable: a leader that crashes before the commit loses a write the user was told is saved (invariant:tab-writes, scenario cs-tabs-commit-unanswered, where the leader crashes just before a forwarded write's commit; it passed every smoke and ci scenario before).",
  },
  {
    name: 'cs-repair-no-fold',
    area: 'client-server',
    description:
      "a client that finds cells damaged at rest replaces them from the server's log only, not from its own change log: a damaged cell whose winner is the client's own change the server has not acknowledged is missing when the footer turns green, until the push comes back as a relay (invariant:damaged-cells-replaced, scenario cs-client-damage-at-rest: C4 reloads while cut off with its own changes damaged).",
  },
  {
    name: 'cs-exec-unstored',
    area: 'client-server',
    description:
      "the server answers its operator's writes (exec) as done and never stores them: clients and server agree on a database without them, so every comparison of the two passed it (invariant:operator-writes-stored, from the workload's record of each successful exec against the server's durable log: 50 of 68 smoke/ci runs, seeds 0..1, the rest make no operator writes; found by the mutation score, 2026-12-07 evening).",
  },
  {
    name: 'cs-exec-stale-version',
    area: 'client-server',
    description:
      "the server logs its operator's write of a cell already written with that cell's column version, not one above it: where the old value's site id is higher, the merge keeps the old value on every side, so clients and server agree and the write is simply gone (invariant:operator-writes-win, from the server's durable log: every operator entry must carry a column version above every earlier entry of its cell; it passed all 68 smoke/ci client-server runs, seeds 0..1, before that check).",
  },
  {
    name: 'cs-exec-batch-tie',
    area: 'client-server',
    description:
      "the reference server before 2026-12-07 night: an operator write of several rows takes each row's column version from the database alone, so two rows of one batch for the same cell tie, and the tie (same site) keeps the first: the operator's last value is lost on every side (invariant:operator-writes-win in cs-operator-edits, 4 of seeds 0..9; no workload wrote a cell twice in one batch before that scenario).",
  },
  {
    name: 'cs-nuke-keeps-log',
    area: 'client-server',
    description:
      "Nuke and Resync deletes the cells and the sync state but not the change log: the first writes after it reuse the old versions, and the push then sends the old entries after them under the new site id, changes the user was told were saved or kept aside (invariant:pushes-have-origin in cs-nuke-then-write, 10 of seeds 0..9; it passed 69 of 70 smoke/ci client-server runs, seeds 0..1, and liveness alone saw the other one: no scenario wrote after a Nuke).",
  },
  {
    name: 'cs-echo-pulled',
    area: 'client-server',
    description:
      "a client writes the operator's changes it pulls again as its own (an echo): each goes back to the server under the client's site id as a durable version of the client's own, so every replica still agrees and pushes-have-origin accepts it (invariant:pushes-were-written: the value is not one the user wrote at that client, from the workload's record; 53 of 72 smoke/ci runs, seeds 0..1, found by the read-only review, which saw it pass every check before).",
  },
  {
    name: 'cs-repair-rechecks-damage',
    area: 'client-server',
    description:
      "a client that finds a cell damaged at rest writes it back under a check recomputed over the damaged content and keeps showing it: the damage is now 'valid' and its footer turns green on it (invariant:damaged-cells-replaced, scenario cs-client-damage-at-rest, 10 of seeds 0..9; before the check stopped taking any later write of the cell as a replacement, only liveness saw it, at the end: a review finding).",
  },
  {
    name: 'cs-wall-clock-timers',
    area: 'client-server',
    description:
      "the client times its pings, the silence of its connection and no-progress on the wall clock instead of the monotonic one: when the wall clock is set back, a connection that went silent stays green for as long as the clock went back (invariant:green-has-server-changes, scenario cs-client-clock-jumps; it passed every smoke and ci scenario and cs-swarm seeds 0..9 before).",
  },
  {
    name: 'cs-unsaved-not-reloaded',
    area: 'client-server',
    description:
      "a restarted client does not count the changes an earlier Nuke and Resync kept aside: after a reload the footer shows 0 unsaved while the database keeps them (invariant:pending-count, scenario cs-nuke-then-reload; it passed every smoke and ci scenario and cs-swarm seeds 0..9 before: no scenario reloaded a client after a Nuke that kept changes).",
  },
  {
    name: 'cs-cells-unchecked',
    area: 'client-server',
    description:
      "a client loads its cells without comparing their checks: a cell damaged at rest (a flipped bit in its value or origin) is shown as it is, and stays until a newer change of that cell arrives (invariant:damaged-cells-replaced, scenario cs-client-damage-at-rest).",
  },
  {
    name: 'cs-damage-keeps-cursor',
    area: 'client-server',
    description:
      "a client that finds cells damaged at rest deletes them but trusts its cursor: the server's changes of those cells are never downloaded again, so the footer turns green with cells missing (invariant:damaged-cells-replaced, scenario cs-client-damage-at-rest).",
  },
  {
    name: 'cs-tabs-status-wall-clock',
    area: 'client-server',
    description:
      "several tabs: a follower measures the age of the leader's last status on its wall clock, so a clock set back right after the leader died keeps showing the dead leader's status (green) until a new leader speaks, and a clock set ahead shows disconnected under a live leader (invariant:tabs-agree, scenario cs-tabs-clock-jumps: 10 of seeds 0..9; it passed all 180 smoke/ci runs, seeds 0..4, before that scenario: no scenario moved a tab's clock). Found by the sixth bug hunt.",
  },
  {
    name: 'cs-eta-seconds',
    area: 'client-server',
    description:
      "the download's estimate of the time left is computed in seconds and reported as milliseconds (etaMs 1,000 times too small: the footer says a long download is about to end). Caught by invariant:progress-eta (the estimate against the rate so far on true time) in cs-progress-5000, 10 of seeds 0..9; it passed all 185 cs smoke/ci runs, seeds 0..4, before that check (invariant:progress judged only that the estimate is not negative and 0 at completion). Found by the seventh bug hunt.",
  },
  {
    name: 'cs-reconnect-no-delay',
    area: 'client-server',
    description:
      "the connection loop starts its next attempt at once instead of waiting reconnectMs: during an outage, or against a server that refuses or drops it, a client retries in a tight loop (24 times the connections of the correct client in cs-long-outage), which every status and data check passes. Caught by invariant:reconnect-paced (a connection opened less than 0.9 × reconnectMs after the client's last connection to the server ended) in cs-long-outage, 10 of seeds 0..9, and in 138 of 185 cs smoke/ci runs (seeds 0..4); it passed all 185 before that check. Found by the seventh bug hunt.",
  },
] as const;

/** Name of a client-server variant ('' is the correct implementation). */
export type CsVariant = '' | (typeof CS_VARIANTS)[number]['name'];
