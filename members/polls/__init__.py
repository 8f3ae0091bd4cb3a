"""Polls that find a time together across zones: candidate slots (`slots`), what each
means for each voter's day and how fairly it shares the burden (`fairness`), and making,
voting in and closing a poll (`services`)."""
