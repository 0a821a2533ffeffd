#include "command.h"

int main(int argc, char** argv) { return keywarden::cli::Main(argc, argv); }
