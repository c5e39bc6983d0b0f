// The gRPC server of bench/grpc.bench.ts: SayHello of test/fixtures/grpc/greeter.proto on
// gRPC's C++ callback API (Debian's libgrpc++), h2c on 127.0.0.1, a port the kernel picks.
// It answers as test/support/grpc-greeter.ts does (message "hello <name>", its own name, the
// sorted metadata keys it received) and counts the calls it answered: `count <n>` on stdin
// prints `calls <n> <answered>`, so the bench checks that h2load's HTTP 200s were real calls.
// It exits when stdin closes (the bench ended, however it ended).
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <string>
#include <vector>

#include "greeter.grpc.pb.h"

static std::atomic<unsigned long long> answered{0};

class Greeter final : public helloworld::Greeter::CallbackService {
 public:
  explicit Greeter(std::string name) : name_(std::move(name)) {}

  grpc::ServerUnaryReactor* SayHello(grpc::CallbackServerContext* ctx, const helloworld::HelloRequest* req,
                                     helloworld::HelloReply* reply) override {
    reply->set_message("hello " + req->name());
    reply->set_server(name_);
    std::vector<std::string> keys;
    for (const auto& kv : ctx->client_metadata()) keys.emplace_back(kv.first.data(), kv.first.size());
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (auto& k : keys) reply->add_seen_metadata(k);
    answered.fetch_add(1, std::memory_order_relaxed);
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  std::string name_;
};

int main(int argc, char** argv) {
  Greeter service(argc > 1 ? argv[1] : "cpp-greeter");
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "greeter-server: could not listen on 127.0.0.1" << std::endl;
    return 1;
  }
  std::cout << "LISTENING " << port << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.rfind("count ", 0) == 0) std::cout << "calls " << line.substr(6) << ' ' << answered.load() << std::endl;
  }
  server->Shutdown();
  return 0;
}
