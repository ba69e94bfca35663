from canhgac.cli import main

main()
