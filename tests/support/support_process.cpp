#include "support_process.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

namespace muhafiz::testing {

std::string SourceDir() {
    const char* dir = std::getenv("MUHAFIZ_SOURCE_DIR");
    return dir ? dir : ".";
}

int FreeLoopbackPort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        ADD_FAILURE() << "no free port";
    close(fd);
    return ntohs(addr.sin_port);
}

SupportScript::SupportScript(const std::string& script, const std::vector<std::string>& args) {
    const char* py = std::getenv("MUHAFIZ_PYTHON");
    std::vector<std::string> argv{py ? py : "/usr/bin/python3", SourceDir() + "/tests/support/" + script};
    argv.insert(argv.end(), args.begin(), args.end());
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        std::vector<char*> cargv;
        for (auto& a : argv) cargv.push_back(a.data());
        cargv.push_back(nullptr);
        execv(cargv[0], cargv.data());
        _exit(127);
    }
    close(out[1]);
    out_ = out[0];
    std::string line;
    pollfd p{out_, POLLIN, 0};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    char c = 0;
    bool ready = false;
    while (!ready && std::chrono::steady_clock::now() < deadline) {
        if (poll(&p, 1, 200) <= 0) continue;
        if (read(out_, &c, 1) != 1) break;
        if (c != '\n')
            line += c;
        else if (line == "ready")
            ready = true;
        else
            line.clear();
    }
    if (!ready) {
        Stop();
        throw std::runtime_error(script + " did not start");
    }
}

SupportScript::~SupportScript() { Stop(); }

void SupportScript::Stop() {
    if (pid_ > 0) {
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
    }
    if (out_ >= 0) {
        close(out_);
        out_ = -1;
    }
}

}  // namespace muhafiz::testing
