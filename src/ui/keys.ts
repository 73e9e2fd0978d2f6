// The keys of every screen, for `?` (help) and the key bars.
export type ScreenName = 'home' | 'step' | 'manual' | 'conflicts' | 'unknown' | 'confirm' | 'question' | 'text' | 'lock' | 'progress' | 'report' | 'result' | 'restore';

export const HELP: Record<ScreenName, { title: string; keys: [string, string][] }> = {
  home: {
    title: 'Home',
    keys: [
      ['enter', 'open the highlighted step (the next one to do, at first)'],
      ['↑ ↓  j k', 'pick a step'],
      ['g G', 'first / last step'],
      ['r', 'the report: everything found, decided and changed'],
      ['v', 'verify: the deployment checked as a whole (owners, accounts, grants, statistics, holdings, schemas)'],
      ['b', 'back up every database now'],
      ['R', 'restore a backup (step 1\'s, a phase\'s): pick one, then type restore'],
      ['f', 'once every step is done: finish (the report beside the state file, the tool\'s tables dropped)'],
      ['?', 'these keys'],
      ['q', 'quit (the state file keeps everything; run again to resume)'],
      ['ctrl-c', 'quit'],
    ],
  },
  step: {
    title: 'Step',
    keys: [
      ['enter', 'run the step (review the conflicts first where there are any)'],
      ['v', 'review the conflicts (steps with duplicate users)'],
      ['d', 'run a step with conflicts, once every group is decided'],
      ['l', 'steps 6.2 / 6.3: the identifiers astakos does not know (an answer each)'],
      ['A', 'accept every suggestion of this step (after a summary), then run it'],
      ['u', 'undo the step (where it can be undone)'],
      ['n', 'next step, once this one is done'],
      ['b', 'back up every database now (offered after each phase)'],
      ['↑ ↓  j k', 'scroll when the text is longer than the screen'],
      ['g G', 'top / bottom of the text'],
      ['?', 'these keys'],
      ['q esc', 'back to home'],
    ],
  },
  manual: {
    title: 'Manual step',
    keys: [
      ['enter', 're-check (looks at the databases again)'],
      ['c', 'confirm the step is done (only when every check passes)'],
      ['v', 'the last step: verify the deployment as a whole (it is confirmed only when verify finds nothing)'],
      ['s', 'sandbox only: perform this step on the sandbox\'s data, then confirm'],
      ['t', '3.3–3.6: show / hide the token in the settings to paste (hidden again when you leave)'],
      ['w', '3.3–3.6: write the settings to files, one per host and file (0600, token inside), ready to copy'],
      ['n', 'next step, once this one is done'],
      ['↑ ↓  j k', 'scroll when the text is longer than the screen'],
      ['g G', 'top / bottom of the text'],
      ['?', 'these keys'],
      ['q esc', 'back to home'],
    ],
  },
  conflicts: {
    title: 'Conflict table',
    keys: [
      ['↑ ↓  j k', 'move through the users of each group'],
      ['pgup pgdn', 'a page up / down'],
      ['g G', 'first / last group'],
      ['n', 'next open (undecided) group'],
      ['enter', 'keep the highlighted user of its group (the others go); 6.1/6.2: merge the others into it'],
      ['x', '6.1/6.2: delete the highlighted member\'s rows (again: undo); the rest merge into the target'],
      ['a', 'accept the suggestion of every open group (after a summary)'],
      ['/', 'filter: type, then enter (esc cancels); matches emails, usernames, #id'],
      ['s', 'sort: open first → key → size'],
      ['esc', 'clear the filter, or back'],
      ['?', 'these keys'],
      ['q', 'back'],
    ],
  },
  unknown: {
    title: 'Unknown to astakos',
    keys: [
      ['↓ ↑  j k', 'move'],
      ['d', 'delete: the highlighted one\'s rows go when the step runs'],
      ['K', 'keep it as it is (listed in the report; shift-k: k moves up, as everywhere)'],
      ['m', '6.3: map it to an astakos user: type a uuid or an email, enter looks it up and says who it is, enter again maps'],
      ['a', 'take the suggested answer for every open one (after a summary)'],
      ['?', 'these keys'],
      ['q esc', 'back'],
    ],
  },
  confirm: {
    title: 'Destructive confirmation',
    keys: [
      ['type', 'the number or word shown, exactly'],
      ['enter', 'confirm (only when the text matches)'],
      ['backspace', 'erase'],
      ['esc', 'cancel: nothing is changed'],
    ],
  },
  question: {
    title: 'Question',
    keys: [
      ['y', 'yes'],
      ['n esc', 'no (nothing is changed)'],
      ['↑ ↓  enter', 'pick an answer in the menu, then take it (digits take one at once, except where it deletes or rewrites)'],
    ],
  },
  text: {
    title: 'Question (free text)',
    keys: [
      ['type', 'the answer (a paste works too)'],
      ['backspace', 'erase'],
      ['enter', 'answer (not when nothing is typed)'],
      ['?', 'these keys (before typing)'],
      ['esc', 'leave it unanswered: the step stops, nothing is changed'],
    ],
  },
  lock: {
    title: 'The deployment is in use',
    keys: [
      ['t', 'take the lock over, after a confirmation (typing "take over" when the holder looks alive)'],
      ['q esc', 'quit and wait: nothing is changed'],
      ['↑ ↓  enter', 'the same, from the menu'],
      ['?', 'these keys'],
    ],
  },
  progress: {
    title: 'Progress',
    keys: [
      ['ctrl-c', 'stop after the current batch (a second ctrl-c quits at once; the open batch rolls back)'],
      ['?', 'these keys'],
    ],
  },
  report: {
    title: 'Report',
    keys: [
      ['↑ ↓  j k', 'scroll a line'],
      ['pgup pgdn  space', 'scroll a page'],
      ['g G', 'top / bottom'],
      ['?', 'these keys'],
      ['enter q esc', 'back'],
    ],
  },
  restore: {
    title: 'Restore a backup',
    keys: [
      ['↑ ↓  j k', 'pick a backup'],
      ['enter', 'restore it: the files and databases are shown, then type restore (esc cancels)'],
      ['?', 'these keys'],
      ['q esc', 'back to home'],
    ],
  },
  result: {
    title: 'Result',
    keys: [
      ['enter esc', 'back'],
    ],
  },
};
