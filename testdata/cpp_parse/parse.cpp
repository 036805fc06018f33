#include <map>
#include <string>
#include <vector>
#include <sstream>
#include <iostream>
#include <algorithm>

struct Order { std::string sym; double px; int qty; };

static std::vector<Order> parse(const std::string& text) {
    std::vector<Order> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        Order o; ls >> o.sym >> o.px >> o.qty;
        out.push_back(o);
    }
    return out;
}

static std::map<std::string, double> book(const std::vector<Order>& orders) {
    std::map<std::string, double> m;
    for (auto& o : orders) m[o.sym] += o.px * o.qty;
    return m;
}

int main() {
    std::string text;
    for (int i = 0; i < 200000; i++) text += "SYM" + std::to_string(i % 500) + " " + std::to_string(i * 0.5) + " " + std::to_string(i % 7) + "\n";
    double total = 0;
    for (int r = 0; r < 6; r++) {
        auto orders = parse(text);
        std::sort(orders.begin(), orders.end(), [](const Order& a, const Order& b) { return a.px < b.px; });
        auto m = book(orders);
        total += m.size() + orders.size();
    }
    std::cout << total << "\n";
}
