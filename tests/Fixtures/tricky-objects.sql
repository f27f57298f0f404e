-- Objects that a backup must carry faithfully: loaded on top of clutter-schema.sql in the fidelity tests.
\set ON_ERROR_STOP on
create schema "Ops Data";
create type "Ops Data".mood as enum ('happy', 'sad', 'ünïcödé 😀');
create sequence "Ops Data".ticket_seq start 1000 increment 7;

create table "Ops Data"."Mixed Case Table" (
  id          integer primary key default nextval('"Ops Data".ticket_seq'),
  "Quoted Col" text,
  blob        bytea,
  doc         jsonb,
  nums        integer[],
  words       text[],
  amount      numeric(30, 10),
  huge        numeric,
  at          timestamptz,
  feeling     "Ops Data".mood,
  secret      bytea
);

-- bytea with every byte value, non-ASCII text, jsonb, arrays, numeric extremes, timestamptz edges
insert into "Ops Data"."Mixed Case Table" ("Quoted Col", blob, doc, nums, words, amount, huge, at, feeling, secret)
values
  ('every byte', (select string_agg(set_byte('\x00'::bytea, 0, b), ''::bytea order by b) from generate_series(0, 255) b),
   '{"a": [1, 2.5, null, true], "ü": {"nested": "😀"}}', '{1,2,3}', '{"with space","quote\"d","comma,ed",NULL}',
   12345678901234567890.0123456789, 1e-100, '2026-03-29 01:30:00+01', 'ünïcödé 😀',
   digest('clutter', 'sha256')),
  ('Ελληνικά 中文 עברית', '\x', '[]', '{}', '{}', -0.0000000001, 'NaN', '-infinity', 'sad', null),
  (E'tab\there\nnewline \\ backslash', null, 'null', null, null, 0, 1e300, 'infinity', 'happy', null);

create view "Ops Data".happy_rows as
  select id, "Quoted Col" from "Ops Data"."Mixed Case Table" where feeling = 'happy';

create function "Ops Data".double_it(x numeric) returns numeric language sql immutable as $$ select x * 2 $$;

create table public."table with space" (k text primary key, v int);
insert into public."table with space" select 'key ' || g, g from generate_series(1, 50) g;
