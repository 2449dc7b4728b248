"""Pure planning maths (no Django): the term planner. Pages and services both import it."""
