#include "app/cli.h"

int main(int argc, char** argv) {
  return maskproxy::app::Main(argc, argv);
}
