"""The repository model: what a repository *does*, read as a program.

Built once per audit between reading and grading (see build.py); the grader
reads only the model:
- code.py        Python and notebook code cells parsed with `ast`: imports with
                 aliases, qualified call sites with literal arguments, decorators,
                 class fields, entry points, test functions;
- jobs.py        CI systems, schedulers and job definitions as data: triggers,
                 jobs, steps, commands;
- commands.py    commands followed through Make targets, shell scripts,
                 `python -m`, task runners, to the files and tools they reach;
- statements.py  docs and comments as statements: affirming, planning, negating,
                 or only naming a tool;
- kind.py        the repository kind (project, template, tutorial, library,
                 serving-only), with its evidence.
"""
