"""The subcommands of run_tests.sh, one module each: add_arguments(parser) declares what
the command takes beyond the shared options (runner/run/options.py), main(args) does it and
returns the exit status. runner/cli.py builds the one parser from them."""
