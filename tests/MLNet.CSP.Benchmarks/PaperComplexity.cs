using MLNet.CSP.Models;

namespace MLNet.CSP.Benchmarks;

/// <summary>Part 1 of the paper reproduction: parameters and MACs of every pair, at 224 and at the paper's 256.</summary>
internal static class PaperComplexity
{
    public static void Run()
    {
        Console.WriteLine("| plain | CSP | params M (plain / CSP) | GMACs @224 (plain / CSP) | CSP/plain MACs | BFLOPs @256 (plain / CSP) | paper @256 |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        var measured = new Dictionary<string, (ModelComplexity At224, ModelComplexity At256)>();
        (ModelComplexity, ModelComplexity) Measure(string name)
        {
            if (measured.TryGetValue(name, out var known)) return known;
            using var model = Backbones.Create(name);
            return measured[name] = (ModelComplexity.Measure(model, 224, 224), ModelComplexity.Measure(model, 256, 256));
        }
        foreach (var (plain, csp, paper) in PaperPairs.Pairs)
        {
            var (p224, p256) = Measure(plain);
            var (c224, c256) = Measure(csp);
            Console.WriteLine($"| {plain} | {csp} | {p224.Parameters / 1e6:F3} / {c224.Parameters / 1e6:F3} | {p224.Macs / 1e9:F3} / {c224.Macs / 1e9:F3} | "
                + $"{(double)c224.Macs / p224.Macs:F3} ({Percent(c224.Macs, p224.Macs)}) | {2 * p256.Macs / 1e9:F2} / {2 * c256.Macs / 1e9:F2} | {(paper.Length == 0 ? "-" : paper)} |");
        }
    }

    private static string Percent(long csp, long plain) => $"{100.0 * (csp - plain) / plain:+0;-0}%";
}
