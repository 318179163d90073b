"""Checks the Maildir an aiosmtpd Mailbox handler wrote against the app's database.

Usage: check_mail.py MAILDIR DATABASE EMAIL
Prints JSON: how many mails went to EMAIL, to anyone, and whether the one CSV attachment holds
exactly EMAIL's orders (as the app formats them). Exits non-zero when any of that is wrong.
"""

import csv
import email
import email.policy
import io
import json
import mailbox
import sqlite3
import sys

HEADER = ["order_id", "placed_on", "item", "note", "quantity", "amount"]


def expected_rows(database, address):
    con = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT o.id, o.placed_on, o.item, o.note, o.quantity, o.amount_cents"
        " FROM orders o JOIN users u ON u.id = o.user_id"
        " WHERE u.email = ? ORDER BY o.id",
        (address,),
    ).fetchall()
    con.close()
    return [
        [str(i), placed, item, note, str(qty), f"{cents // 100}.{cents % 100:02d}"]
        for i, placed, item, note, qty, cents in rows
    ]


def csv_attachments(message):
    for part in message.iter_attachments():
        if part.get_content_type() == "text/csv":
            yield part.get_filename(), part.get_content()


def main(maildir, database, address):
    box = mailbox.Maildir(maildir, factory=None, create=False)
    messages = [email.message_from_bytes(m.as_bytes(), policy=email.policy.default) for m in box]
    mine = [m for m in messages if address in str(m["To"])]
    report = {"total_mails": len(messages), "mails_to_user": len(mine)}
    if len(mine) == 1:
        attachments = list(csv_attachments(mine[0]))
        report["csv_attachments"] = [name for name, _ in attachments]
        if len(attachments) == 1:
            rows = list(csv.reader(io.StringIO(attachments[0][1], newline="")))
            expected = expected_rows(database, address)
            report["header_ok"] = rows[:1] == [HEADER]
            report["rows"] = len(rows) - 1
            report["expected_rows"] = len(expected)
            report["rows_match"] = rows[1:] == expected
            report["multiline_fields"] = sum("\n" in field for row in rows for field in row)
    print(json.dumps(report))
    ok = report.get("rows_match") and report.get("header_ok") and report["expected_rows"] > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
