"""Letters and sending: dunning letters rendered with Jinja2 (templates under xlfin/templates/letters)."""
