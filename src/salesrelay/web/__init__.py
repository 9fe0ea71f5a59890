"""Server-rendered pages: sign-in, my queue, journeys, handoffs, dashboard, team, playbook."""
