"""The studio's logic, in plain functions. Views, admin actions, API and tasks call these."""
