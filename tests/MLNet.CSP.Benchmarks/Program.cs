using MLNet.CSP.Pipelines.Training;
using BenchmarkDotNet.Running;
using MLNet.CSP.Benchmarks;

if (args.Length > 3 && args[0] == "serve-model")
{
    ServingLoad.MakeModel(args[1], args[2], int.Parse(args[3]));
    return;
}
if (args.Length > 4 && args[0] == "serve-load")
{
    await ServingLoad.LoadAsync(args[1], args[2], int.Parse(args[3]), int.Parse(args[4]));
    return;
}
if (args.Length > 2 && args[0] == "digits-make")
{
    DigitCanvases.Make(args[1], args[2]);
    return;
}
if (args.Length > 3 && args[0] == "detector-digits")
{
    DigitCanvases.Train(args[1], args[2], int.Parse(args[3]), args.Length > 4 ? int.Parse(args[4]) : 30, args.Length > 5 ? int.Parse(args[5]) : 128);
    return;
}
if (args.Length > 6 && args[0] == "evaluate-detections")
{
    DigitCanvases.EvaluateDetections(args[1], args[2], args[3], int.Parse(args[4]), int.Parse(args[5]), args[6]);
    return;
}
if (args.Length > 1 && args[0] == "peer-weights")
{
    StepProfile.WritePeerCheck(args[1], args.Length > 2 ? args[2] : "cs3darknet_s");
    return;
}
if (args.Length > 0 && args[0] == "step-profile")
{
    StepProfile.Run(args.Length > 1 ? args[1] : "cs3darknet_s", args.Length > 2 ? int.Parse(args[2]) : 32, args.Length > 3 ? int.Parse(args[3]) : 64);
    return;
}
if (args.Length > 0 && args[0] == "quick")
{
    QuickLatency.Run(args.Skip(1).ToArray());
    return;
}
if (args.Length > 0 && args[0] == "featurize")
{
    Console.WriteLine("| model | size | batch | pipeline images/s | raw forward images/s | ratio |");
    Console.WriteLine("|---|---|---|---|---|---|");
    foreach (var name in args.Length > 1 ? args.Skip(1) : ["cs3darknet_s", "cspresnet50"]) FeaturizeThroughput.Run(name);
    return;
}
if (args.Length > 0 && args[0] == "fashion-mnist")
{
    FashionMnistAccuracy.Run(args.Length > 1 ? int.Parse(args[1]) : 10, args.Length > 2 ? args[2] : "cs3darknet_s");
    return;
}
if (args.Length > 1 && args[0] == "transfer")
{
    TrainingComparisons.Transfer(args[1], args.Length > 2 ? int.Parse(args[2]) : 3);
    return;
}
if (args.Length > 0 && args[0] == "csp-vs-plain")
{
    TrainingComparisons.CspVersusPlain(args.Length > 1 ? int.Parse(args[1]) : 2);
    return;
}
if (args.Length > 1 && args[0] == "short-budget")
{
    ShortBudgetAccuracy.Run(args[1], args.Length > 2 ? args.Skip(2).Select(Enum.Parse<MLNet.CSP.Pipelines.Training.CspAugmentation>).ToList()
        : [MLNet.CSP.Pipelines.Training.CspAugmentation.RandomShift]);
    return;
}
if (args.Length > 2 && args[0] == "streaming-make")
{
    StreamingTraining.Make(int.Parse(args[1]), args[2]);
    return;
}
if (args.Length > 2 && args[0] == "pass-rate")
{
    PassRate.Run(args[1], Enum.Parse<MLNet.CSP.Pipelines.Training.CspCacheMode>(args[2]));
    return;
}
if (args.Length > 1 && args[0] == "decode-cost")
{
    DecodeCost.Run(args[1], args.Length > 2 ? int.Parse(args[2]) : 500);
    return;
}
if (args.Length > 2 && args[0] == "streaming-train")
{
    StreamingTraining.Train(args[1], Enum.Parse<MLNet.CSP.Pipelines.Training.CspCacheMode>(args[2]), args.Length > 3 ? int.Parse(args[3]) : 60);
    return;
}
if (args.Length > 6 && args[0] == "automl-compare")
{
    AutoMLComparison.Run(args[1], args[2], uint.Parse(args[3]), int.Parse(args[4]), args[5], args[6]);
    return;
}
if (args.Length > 1 && args[0] == "automl-plot")
{
    AutoMLComparison.Plot(args[1]);
    return;
}
if (args.Length > 2 && args[0] == "trainer-speed")
{
    TrainerSpeed.Run(args[1], int.Parse(args[2]), args.Skip(3).ToArray());
    return;
}
if (args.Length > 2 && args[0] == "detector-make")
{
    DetectorEpochs.Make(int.Parse(args[1]), args[2]);
    return;
}
if (args.Length > 3 && args[0] == "detector-epochs")
{
    DetectorEpochs.Epochs(args[1], int.Parse(args[2]), int.Parse(args[3]));
    return;
}
if (args.Length > 3 && args[0] == "detector-memory")
{
    DetectorMemory.Run(args[1], Enum.Parse<CspCacheMode>(args[2]), int.Parse(args[3]));
    return;
}
if (args.Length > 0 && args[0] == "paper")
{
    PaperReproduction.Run(args.Skip(1).ToArray());
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(ForwardLatencyBenchmarks).Assembly).Run(args);
