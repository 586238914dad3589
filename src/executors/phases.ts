import type { TimedPhase } from '../records/schema.js';
import type { GuestUptimes } from './vm/guest-result.js';

/** What the host saw of one VM job, on its own clock (epoch milliseconds). */
export interface VmJobTimes {
  /** The job started (before its folders, clones and shares). */
  start: number;
  /** The hypervisor was asked to start. */
  launch: number | null;
  /** The hypervisor process exited. */
  exit: number | null;
  /** The job ended (results brought back, files masked). */
  end: number;
  /** When the host saw the guest create guest.log, which the agent does at `uptimes.command`. */
  commandSeen: number | null;
}

/**
 * A VM job's phases on the host's clock. The guest's times are seconds since its kernel started (monotonic,
 * from the untrusted result); one event both sides saw (guest.log created) ties the two clocks, and every
 * guest time is kept between the hypervisor's start and exit, in order. Without that event or the guest's
 * times, the VM is one `vm` phase.
 */
export function vmPhases(times: VmJobTimes, uptimes: GuestUptimes | undefined): TimedPhase[] {
  const phases: TimedPhase[] = [];
  const add = (phase: TimedPhase['phase'], start: number, end: number) => {
    phases.push({ phase, start, end: Math.max(start, end) });
  };
  if (times.launch === null) {
    add('prepare', times.start, times.end);
    return phases;
  }
  add('prepare', times.start, times.launch);
  const exit = times.exit ?? times.end;
  if (uptimes === undefined || uptimes.command === null || times.commandSeen === null) {
    add('vm', times.launch, exit);
  } else {
    // The kernel started `uptimes.command` before the host saw guest.log appear.
    const kernel = clamp(times.commandSeen - uptimes.command * 10, times.launch, exit);
    let last = kernel;
    const at = (centiseconds: number | null): number => {
      if (centiseconds !== null) last = clamp(kernel + centiseconds * 10, last, exit);
      return last;
    };
    add('hypervisor', times.launch, kernel);
    add('boot', kernel, at(uptimes.started));
    add('setup', last, at(uptimes.command));
    add('command', last, at(uptimes.finished));
    add('collect', last, at(uptimes.collected));
    add('shutdown', last, exit);
  }
  add('finish', exit, times.end);
  return phases;
}

/**
 * A host job's phases: preparing its workspace, its command, collecting its results; only `prepare` when the
 * command never started.
 */
export function hostPhases(
  start: number,
  command: { start: number; end: number } | null,
  end: number,
): TimedPhase[] {
  if (command === null) return [{ phase: 'prepare', start, end: Math.max(start, end) }];
  return [
    { phase: 'prepare', start, end: command.start },
    { phase: 'command', start: command.start, end: command.end },
    { phase: 'finish', start: command.end, end: Math.max(command.end, end) },
  ];
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), Math.max(low, high));
}
