import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/sim/simulation.ts';

describe('node lifecycle and delivery order', () => {
  it('a resumed node gets its backlog first, in order, even with deliveries due at the resume instant', async () => {
    const sim = new Simulation({ seed: 1 });
    const node = sim.addNode('A', { program: () => {} });
    sim.start('A');
    const log: string[] = [];
    sim.scheduler.at(10, () => sim.pause('A'));
    for (const t of [20, 30, 40]) sim.scheduler.at(t, () => node.deliver(node.incarnation, () => log.push(`q${t}`)));
    sim.scheduler.at(50, () => sim.resume('A'));
    sim.scheduler.at(50, () => node.deliver(node.incarnation, () => log.push('new50')));
    sim.scheduler.at(50, () => node.deliver(node.incarnation, () => log.push('new50b')));
    sim.scheduler.at(60, () => node.deliver(node.incarnation, () => log.push('new60')));
    await sim.run();
    expect(log).toEqual(['q20', 'q30', 'q40', 'new50', 'new50b', 'new60']);
  });

  it('pausing again mid-drain keeps the rest of the backlog for the next resume', async () => {
    const sim = new Simulation({ seed: 1 });
    const node = sim.addNode('A', { program: () => {} });
    sim.start('A');
    const log: string[] = [];
    sim.scheduler.at(10, () => sim.pause('A'));
    for (const k of [1, 2, 3]) sim.scheduler.at(20, () => node.deliver(node.incarnation, () => {
      log.push(`q${k}@${sim.nowUs()}`);
      if (k === 1) sim.pause('A');
    }));
    sim.scheduler.at(30, () => sim.resume('A'));
    sim.scheduler.at(40, () => sim.resume('A'));
    await sim.run();
    expect(log).toEqual(['q1@30', 'q2@40', 'q3@40']);
  });

  it('a crash drops the backlog and a dead incarnation never receives anything', async () => {
    const sim = new Simulation({ seed: 1 });
    const node = sim.addNode('A', { program: () => {} });
    sim.start('A');
    const log: string[] = [];
    let inc0 = -1;
    sim.scheduler.at(5, () => {
      inc0 = node.incarnation;
      sim.pause('A');
      node.deliver(inc0, () => log.push('lost'));
    });
    sim.scheduler.at(10, () => sim.crash('A'));
    sim.scheduler.at(20, () => sim.start('A'));
    sim.scheduler.at(30, () => node.deliver(inc0, () => log.push('zombie')));
    sim.scheduler.at(30, () => node.deliver(node.incarnation, () => log.push('fresh')));
    await sim.run();
    expect(log).toEqual(['fresh']);
    expect(node.incarnation).toBe(1);
  });
});
