from salesrelay.cli import main

main()
