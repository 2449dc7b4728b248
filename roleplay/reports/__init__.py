"""Documents made for people to take away: the progress report as PDF."""
