"""Self-checking exercises: each lesson ends with one ``check_...`` call that says right or
wrong, and why. One module per topic; import them by module, e.g.
``from drcn_lib.exercises.recursion import check_receptive_field``."""
