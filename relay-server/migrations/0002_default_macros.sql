-- 0002: the global macros support engineers asked for, shipped as defaults.
INSERT INTO macros (shortcut, title, body, owner) VALUES
  ('receipt',  'Receipt',      'Accepted: ticket #{id}. ETA: {eta}. You can check the status here at any time.', NULL),
  ('details',  'Need details', 'We need: {field}. Just reply to this message. Timeout: 24 h.', NULL),
  ('solved',   'Solved',       'Done: {what}. Next steps: {steps}. Please rate the answer below.', NULL),
  ('escalate', 'Escalated',    'Your question went to an expert. We will be back by {eta}.', NULL),
  ('hi',       'First reply',  'Hi {name}! I''m {agent}. I see ticket #{id} and am on it.', NULL);
