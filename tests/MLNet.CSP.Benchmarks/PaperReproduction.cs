using System.Globalization;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// The CSPNet paper reproduction (docs/paper-reproduction.md), four parts: <c>paper [complexity|latency|memory|accuracy [epochs] [seeds]]</c>,
/// all of them when no part is named.
/// </summary>
internal static class PaperReproduction
{
    public static void Run(string[] args)
    {
        string part = args.Length > 0 ? args[0] : "all";
        int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
        switch (part)
        {
            case "complexity":
                PaperComplexity.Run();
                break;
            case "latency":
                PaperLatency.Run();
                break;
            case "accuracy":
                PaperAblation.Run(epochs: Arg(1, 3), seeds: Arg(2, 2));
                break;
            case "memory":
                PaperTrainingMemory.Run();
                break;
            case "train-step":
                PaperTrainingMemory.StepOne(args[1]);
                break;
            case "train-one":
                PaperAblation.TrainOne(args[1], Arg(2, 1), Arg(3, 3));
                break;
            case "all":
                PaperComplexity.Run();
                Console.WriteLine();
                PaperLatency.Run();
                Console.WriteLine();
                PaperTrainingMemory.Run();
                Console.WriteLine();
                PaperAblation.Run(epochs: 3, seeds: 2);
                break;
            default:
                throw new ArgumentException($"Unknown part '{part}': use complexity, latency, memory or accuracy.");
        }
    }
}
