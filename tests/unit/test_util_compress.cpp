#include "rcd/util/compress.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>

using namespace rcd;

namespace {

// Something like a binary: runs of text, repeats and noise, so every block has work to do.
std::string sample(std::size_t size) {
    std::mt19937 random(7);
    std::string data;
    while (data.size() < size) {
        switch (random() % 3) {
        case 0:
            data += "fn main() { println!(\"hello\"); } // " + std::to_string(random());
            break;
        case 1:
            data.append(200 + random() % 300, static_cast<char>('a' + random() % 26));
            break;
        default:
            for (int i = 0; i < 64; ++i)
                data.push_back(static_cast<char>(random()));
        }
    }
    data.resize(size);
    return data;
}

} // namespace

TEST_CASE("gzip output is the same for any thread count and decompresses to the input") {
    for (std::size_t size :
         {std::size_t{0}, std::size_t{1000}, util::kGzipBlock, util::kGzipBlock * 3 + 12345}) {
        CAPTURE(size);
        std::string data = sample(size);
        auto one = util::gzip_compress(data, 1, 1);
        REQUIRE(one);
        for (unsigned threads : {2u, 3u, 8u}) {
            auto many = util::gzip_compress(data, 1, threads);
            REQUIRE(many);
            CHECK(*many == *one);
        }
        auto back = util::gzip_decompress(*one);
        REQUIRE(back);
        CHECK(*back == data);
        // A fixed header: no name, no time, OS Unix, whatever machine made it.
        CHECK(one->substr(0, 10) == std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10));
        if (size > util::kGzipBlock)
            CHECK(one->size() < data.size());
    }
}

TEST_CASE("gzip's blocks join into one stream that gzip(1) reads") {
    std::string data = sample(util::kGzipBlock * 2 + 99);
    auto gz = util::gzip_compress(data, 6, 2);
    REQUIRE(gz);
    std::string path = "/tmp/rcd-test-compress-" + std::to_string(getpid()) + ".gz";
    std::ofstream(path, std::ios::binary) << *gz;
    std::FILE* pipe = popen(("gzip -dc " + path).c_str(), "r");
    REQUIRE(pipe);
    std::string out;
    char buffer[65536];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
        out.append(buffer, n);
    CHECK(pclose(pipe) == 0);
    std::remove(path.c_str());
    CHECK(out == data);
}

TEST_CASE("gzip at a higher level is smaller, and a damaged stream is refused") {
    std::string data = sample(util::kGzipBlock * 2);
    auto fast = util::gzip_compress(data, 1, 2);
    auto small = util::gzip_compress(data, 9, 2);
    REQUIRE(fast);
    REQUIRE(small);
    CHECK(small->size() < fast->size());
    std::string damaged = *fast;
    damaged[damaged.size() - 6] ^= 0x55; // the crc
    CHECK_FALSE(util::gzip_decompress(damaged));
}
