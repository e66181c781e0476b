// Staff and the duty roster in the workflow database: who can be dispatched, who is on duty in which
// order (escalation goes down the roster), and the township leader (the last step of escalation).
// Seeded from the config at start; every worker seeds the same list, so the result is the same.
import type { Db } from '../db/db.js';

export interface StaffMember {
  readonly name: string;
  readonly township: string;
  readonly displayName: string;
  readonly phone?: string | undefined;
  readonly team?: string | undefined;
  /** officer: on the duty roster; responder: sent to site (grid worker, 微型消防站); leader: township leader. */
  readonly role: 'officer' | 'responder' | 'leader';
}

interface StaffRow {
  name: string;
  township: string;
  display_name: string;
  phone: string | null;
  team: string | null;
  role: StaffMember['role'];
  [key: string]: unknown;
}

const member = (r: StaffRow): StaffMember => ({ name: r.name, township: r.township, displayName: r.display_name, phone: r.phone ?? undefined, team: r.team ?? undefined, role: r.role });

export class StaffDirectory {
  constructor(private readonly db: Db) {}

  /** Replaces staff and roster with the config's. */
  async seed(staff: readonly StaffMember[], roster: Readonly<Record<string, readonly string[]>>): Promise<void> {
    const known = new Set(staff.map((s) => s.name));
    for (const [township, names] of Object.entries(roster)) {
      const unknown = names.filter((n) => !known.has(n));
      if (unknown.length > 0) throw new Error(`workflow.roster.${township}: ${unknown.join(', ')} not in workflow.staff`);
    }
    await this.db.transaction(async (tx) => {
      await tx.lock('lastmile:staff');
      await tx.run('DELETE FROM duty_roster');
      await tx.run('DELETE FROM staff');
      for (const s of staff) {
        await tx.run('INSERT INTO staff (name, township, display_name, phone, team, role) VALUES (?, ?, ?, ?, ?, ?)', [s.name, s.township, s.displayName, s.phone ?? null, s.team ?? null, s.role]);
      }
      for (const [township, names] of Object.entries(roster)) {
        for (const [position, name] of names.entries()) await tx.run('INSERT INTO duty_roster (township, position, name) VALUES (?, ?, ?)', [township, position, name]);
      }
    });
  }

  async list(township: string): Promise<StaffMember[]> {
    return (await this.db.all<StaffRow>('SELECT * FROM staff WHERE township = ? ORDER BY role, name', [township])).map(member);
  }

  /** The township's escalation ladder: the duty roster in order, then its leader(s). */
  async ladder(township: string): Promise<StaffMember[]> {
    const roster = await this.db.all<StaffRow>('SELECT s.* FROM duty_roster r JOIN staff s ON s.name = r.name WHERE r.township = ? ORDER BY r.position', [township]);
    const leaders = await this.db.all<StaffRow>("SELECT * FROM staff WHERE township = ? AND role = 'leader' ORDER BY name", [township]);
    return [...roster, ...leaders].map(member);
  }

  async find(name: string): Promise<StaffMember | undefined> {
    const rows = await this.db.all<StaffRow>('SELECT * FROM staff WHERE name = ?', [name]);
    return rows[0] ? member(rows[0]) : undefined;
  }
}
