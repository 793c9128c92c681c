import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A figure a spec measured (a timing, a count), for the person reading the run, not for an assertion.
 * Specs never print: console.log would wrap each line in a "● Console" block with a stack, between the
 * reports. The lines go to the run's notes file and globalTeardown prints them once, together.
 */
export function note(line: string): void {
  const file = process.env.TEST_NOTES_FILE;
  if (file && existsSync(file)) appendFileSync(file, `${line}\n`);
  else process.stdout.write(`${line}\n`);
}

/** globalSetup: the run's notes file, handed to workers through the environment. */
export function openNotes(): void {
  const file = join(mkdtempSync(join(tmpdir(), 'flash-sale-test-notes-')), 'notes.txt');
  appendFileSync(file, '');
  process.env.TEST_NOTES_FILE = file;
}

/** globalTeardown: the notes, in one block after jest's report, and the file gone. */
export function printNotes(): void {
  const file = process.env.TEST_NOTES_FILE;
  if (!file || !existsSync(file)) return;
  const lines = readFileSync(file, 'utf8');
  if (lines) process.stdout.write(`\n[test notes]\n${lines}`);
  rmSync(dirname(file), { recursive: true, force: true });
}
