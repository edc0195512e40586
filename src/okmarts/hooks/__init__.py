"""What runs around every request (app.py wires it): the shopper's language, session and cart
count, cookie consent and visit statistics, cache headers and error pages."""
