// Test alarms (the console's siren test, the storyline's tests) carry the gateway's test rule; the
// township marks their cases as tests, never escalates them, and closes them when the test ends.
export const TEST_RULE = 'test_alarm';
