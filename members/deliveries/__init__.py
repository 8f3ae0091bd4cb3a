"""Messages to members about meetings, as a pipeline whose schedule is the database.

    plan.py     which messages members are owed: inserts `Delivery` rows (invites, updates,
                cancellations, reminders, promotions; the practice's nudges, digests, role
                reminders and harvests), one per meeting, member, kind and sequence
    sweep.py    the periodic job: plan, give up on spent rows, enqueue what is due
    queue.py    hand row ids to the workers after commit, by task name
    send.py     a worker claims a chunk of rows (or one) in one UPDATE, checks each still
                stands, renders and sends it over one SMTP connection
    render.py   the e-mail in the member's zone, with its iCalendar REQUEST or CANCEL, or
                the member's own links to take an open role
    outage.py   pause sending while the mail server itself refuses us
    polls.py    mail about polls: plan the invitation, reminder, result and a guest's
                confirmation, and say whether one still stands when its turn comes
    poll_render.py  that mail, in the member's or the guest's zone, through the same send

`members/tasks.py` is the thin Celery face of `send.deliver_chunk`, `send.deliver` and
`sweep.send_due`.
"""
