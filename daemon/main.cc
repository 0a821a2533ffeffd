#include "daemon.h"

int main(int argc, char** argv) { return keywarden::RunDaemon(argc, argv); }
