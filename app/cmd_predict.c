int cmd_predict(int argc, char **argv) { (void)argc; (void)argv; return 2; }
