-- The demo's one user; safe to run again.
INSERT INTO users (email) SELECT 'alice@example.org' WHERE NOT EXISTS (SELECT 1 FROM users WHERE email = 'alice@example.org');
