# A real SMTP server for the mail tests (aiosmtpd from PyPI): it keeps every message it accepts in a Maildir and
# refuses recipients whose address begins with "refuse" (550, as a server refuses an unknown mailbox), so a test
# can make one letter fail for good while others go through.
#
#   python3 smtp.py PORT MAILDIR      serves until killed; prints "ready" when listening
#   python3 smtp.py --read MAILDIR    prints every kept message as JSON (subject, from, to, message_id, text,
#                                     html, files: [{name, content_type, path}]), files saved beside the Maildir
import asyncio
import email
import email.policy
import json
import mailbox
import os
import sys


def read(maildir):
    out = []
    box = mailbox.Maildir(maildir, create=False)
    files_dir = os.path.join(os.path.dirname(maildir.rstrip("/")), "files")
    os.makedirs(files_dir, exist_ok=True)
    for key in sorted(box.keys()):
        raw = box.get_bytes(key)
        m = email.message_from_bytes(raw, policy=email.policy.default)
        text = html = None
        files = []
        for part in m.walk():
            if part.is_multipart():
                continue
            name = part.get_filename()
            if name:
                path = os.path.join(files_dir, f"{key}-{name}")
                with open(path, "wb") as f:
                    f.write(part.get_payload(decode=True))
                files.append({"name": name, "content_type": part.get_content_type(), "path": path})
            elif part.get_content_type() == "text/plain" and text is None:
                text = part.get_content()
            elif part.get_content_type() == "text/html" and html is None:
                html = part.get_content()
        out.append({
            "subject": str(m["subject"]),
            "from": str(m["from"]),
            "to": sorted(a.strip() for a in str(m["to"]).split(",")),
            "envelope_to": str(m["X-RcptTo"] or ""),
            "message_id": str(m["message-id"]),
            "text": text,
            "html": html,
            "files": files,
        })
    print(json.dumps(out))


class Keep:
    def __init__(self, maildir):
        self.box = mailbox.Maildir(maildir, create=True)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("refuse"):
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.compat32)
        msg["X-RcptTo"] = ", ".join(envelope.rcpt_tos)
        self.box.add(msg)
        return "250 Message accepted for delivery"


def serve(port, maildir):
    from aiosmtpd.controller import Controller

    c = Controller(Keep(maildir), hostname="127.0.0.1", port=port)
    c.start()
    print("ready", flush=True)
    try:
        asyncio.new_event_loop().run_forever()
    finally:
        c.stop()


if __name__ == "__main__":
    if sys.argv[1] == "--read":
        read(sys.argv[2])
    else:
        serve(int(sys.argv[1]), sys.argv[2])
