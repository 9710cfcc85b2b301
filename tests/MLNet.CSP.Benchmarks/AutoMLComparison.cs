using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.CSP.Pipelines.AutoML;
using MLNet.CSP.Pipelines.Classification;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// The AutoML search against its baselines at an equal wall-clock budget, one run per process:
/// <c>automl-compare TRAIN_DIR TEST_DIR BUDGET_S SEED METHOD OUT_DIR</c> with METHOD one of <c>search</c> (two stages),
/// <c>default</c> (CspImageClassification's defaults at 32 px for as many epochs as fit), <c>stage1</c> (frozen features +
/// ML.NET heads with the whole budget) and <c>random</c> (random search, full-length trials of <c>CspDefaults.Epochs</c>). Appends a row to
/// OUT_DIR/results.csv (with <see cref="MachineSpeedProbe"/> before and after the run: this machine's speed drifts) and writes
/// the run's trials; <c>automl-plot OUT_DIR</c> draws best-so-far against time and prints the table.
/// </summary>
internal static class AutoMLComparison
{
    public static void Run(string trainFolder, string testFolder, uint budget, int seed, string method, string output)
    {
        Directory.CreateDirectory(output);
        var ml = new MLContext(seed: seed);
        var train = ImageFolders.Load(ml, trainFolder);
        var test = ImageFolders.Load(ml, testFolder);
        double probeBefore = MachineSpeedProbe.SecondsPerStep(); // outside the budget, like reading the folders
        var watch = Stopwatch.StartNew();
        ITransformer model;
        string detail;
        if (method == "default")
            (model, detail) = DefaultTrainer(ml, train, budget, watch);
        else
        {
            var strategy = method switch
            {
                "search" => CspSearchStrategy.TwoStage,
                "stage1" => CspSearchStrategy.FrozenFeaturesOnly,
                "random" => CspSearchStrategy.RandomSearch,
                _ => throw new ArgumentException($"Unknown method '{method}': search, default, stage1 or random."),
            };
            string run = Path.Combine(output, FormattableString.Invariant($"run-{Path.GetFileName(trainFolder.TrimEnd('/'))}-{budget}-{seed}-{method}"));
            if (Directory.Exists(run)) Directory.Delete(run, recursive: true);
            var result = ml.CspAutoML().CreateImageClassificationExperiment(new CspImageClassificationExperimentOptions
            {
                TrainingTimeInSeconds = budget, Seed = seed, Strategy = strategy, CropFraction = 1.0, TorchThreads = 2, CheckpointDirectory = run,
            }).SetDataset(train).RunAsync().GetAwaiter().GetResult();
            model = result.Model;
            detail = $"{result.Trials.Count} trials, {result.Trials.Count(t => t.Pruned)} pruned, {result.Trials.Count(t => t.Status == CspTrialStatus.Failed)} failed; best {result.BestTrial}" + (result.FinalFit is { } f ? $"; final fit {f.Epochs} epochs {f.Duration.TotalSeconds:F0}s" : "");
            foreach (var dir in Directory.GetDirectories(run)) Directory.Delete(dir, recursive: true); // checkpoints; trials.csv stays
        }
        double seconds = watch.Elapsed.TotalSeconds;
        detail += FormattableString.Invariant($"; speed probe {probeBefore * 1000:F0} ms/step before, {MachineSpeedProbe.SecondsPerStep() * 1000:F0} after");
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        string line = string.Join(",", Path.GetFileName(trainFolder.TrimEnd('/')), budget, seed, method,
            metrics.MicroAccuracy.ToString("F4", CultureInfo.InvariantCulture), seconds.ToString("F1", CultureInfo.InvariantCulture),
            (ProcessMemory.PeakResidentBytes() / 1048576.0).ToString("F0", CultureInfo.InvariantCulture), "\"" + detail.Replace("\"", "'") + "\"");
        string results = Path.Combine(output, "results.csv");
        if (!File.Exists(results)) File.WriteAllText(results, "data,budget_s,seed,method,test_accuracy,elapsed_s,peak_rss_mb,detail\n");
        File.AppendAllText(results, line + "\n");
        Console.WriteLine(line);
    }

    /// <summary>
    /// The trainer's defaults (image size 32, the data's scale) for as many epochs as fit: a 2-epoch pilot measures the second
    /// epoch and the fixed cost of a fit (reading, building), then the real run takes the epochs the rest of the budget holds.
    /// </summary>
    private static (ITransformer, string) DefaultTrainer(MLContext ml, IDataView train, uint budget, Stopwatch watch)
    {
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        var epochSeconds = new List<double>();
        CspImageClassificationTrainer.Options Options(int epochs) => new() { ImageSize = 32, CropFraction = 1.0, TorchThreads = 2, Epochs = epochs };
        var pilot = Options(2);
        pilot.MetricsCallback = m => epochSeconds.Add(m.Elapsed.TotalSeconds);
        var pilotWatch = Stopwatch.StartNew();
        ml.MulticlassClassification.Trainers.CspImageClassification(pilot).Fit(keys.Transform(train)).Dispose();
        double fixedCost = pilotWatch.Elapsed.TotalSeconds - epochSeconds.Sum(), perEpoch = epochSeconds[^1];
        int epochs = Math.Max(1, (int)Math.Floor((budget - watch.Elapsed.TotalSeconds - fixedCost) / perEpoch));
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.CspImageClassification(Options(epochs))).Fit(train);
        return (model, FormattableString.Invariant($"pilot: {perEpoch:F1} s per epoch + {fixedCost:F1} s per fit; then {epochs} epochs"));
    }

    /// <summary>Prints the table of results.csv (mean and spread over seeds) and plots each search's best validation metric over time.</summary>
    public static void Plot(string output)
    {
        var rows = File.ReadAllLines(Path.Combine(output, "results.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Console.WriteLine("| data | budget | method | test accuracy (mean ± sd over seeds) | per seed | elapsed s (max) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var group in rows.GroupBy(r => (r[0], r[1], r[3])).OrderBy(g => g.Key.Item1).ThenBy(g => int.Parse(g.Key.Item2)).ThenBy(g => Array.IndexOf(new[] { "search", "default", "stage1", "random" }, g.Key.Item3)))
        {
            var accuracies = group.Select(r => double.Parse(r[4], CultureInfo.InvariantCulture)).ToList();
            double mean = accuracies.Average(), sd = Math.Sqrt(accuracies.Sum(a => (a - mean) * (a - mean)) / Math.Max(1, accuracies.Count - 1));
            Console.WriteLine(FormattableString.Invariant($"| {group.Key.Item1} | {group.Key.Item2} s | {group.Key.Item3} | {mean:P1} ± {sd * 100:F1} | {string.Join(" / ", accuracies.Select(a => a.ToString("P1", CultureInfo.InvariantCulture)))} | {group.Max(r => double.Parse(r[5], CultureInfo.InvariantCulture)):F0} |"));
        }
        // Run folders are named run-DATA-BUDGET-SEED-METHOD (DATA may hold dashes): one plot per data set and budget.
        static (string Data, string Budget, string Seed, string Method) Parts(string run)
        {
            var p = Path.GetFileName(run).Split('-');
            return (string.Join('-', p[1..^3]), p[^3], p[^2], p[^1]);
        }
        foreach (var plot in Directory.GetDirectories(output, "run-*").Select(d => (Dir: d, Parts: Parts(d))).GroupBy(r => (r.Parts.Data, r.Parts.Budget)))
        {
            var (data, budget) = plot.Key;
            var runs = plot.OrderBy(r => r.Dir, StringComparer.Ordinal).ToList();
            int seeds = runs.Select(r => r.Parts.Seed).Distinct().Count();
            var model = new PlotModel { Title = $"Best validation accuracy so far, {data}, {budget} s budget ({seeds} seed{(seeds == 1 ? "" : "s")})", Background = OxyColors.White };
            model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "seconds", Minimum = 0, MajorGridlineStyle = LineStyle.Dot });
            model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "validation accuracy", MajorGridlineStyle = LineStyle.Dot });
            var colours = new Dictionary<string, OxyColor> { ["search"] = OxyColors.SteelBlue, ["stage1"] = OxyColors.DarkOrange, ["random"] = OxyColors.SeaGreen };
            var titled = new HashSet<string>();
            foreach (var (run, (_, _, _, method)) in runs)
            {
                string csv = Path.Combine(run, "trials.csv");
                if (!File.Exists(csv) || !colours.TryGetValue(method, out var colour)) continue;
                var header = File.ReadLines(csv).First().Split(',');
                int metric = Array.IndexOf(header, "metric"), ended = Array.IndexOf(header, "ended_at_s");
                var series = new StairStepSeries { Color = colour, StrokeThickness = 1.5, Title = titled.Add(method) ? method : null }; // one legend entry per method
                double best = double.NaN;
                foreach (var f in File.ReadLines(csv).Skip(1).Select(l => l.Split(',')).Where(f => f.Length > ended && f[metric].Length > 0)
                             .OrderBy(f => double.Parse(f[ended], CultureInfo.InvariantCulture)))
                {
                    double m = double.Parse(f[metric], CultureInfo.InvariantCulture);
                    if (double.IsNaN(best) || m > best) best = m;
                    series.Points.Add(new DataPoint(double.Parse(f[ended], CultureInfo.InvariantCulture), best));
                }
                model.Series.Add(series);
            }
            model.Legends.Add(new Legend { LegendPosition = LegendPosition.BottomRight, LegendPlacement = LegendPlacement.Inside });
            string png = Path.Combine(output, data == "train" ? $"automl-best-so-far-{budget}s.png" : $"automl-best-so-far-{data}-{budget}s.png");
            using var stream = File.Create(png);
            new OxyPlot.SkiaSharp.PngExporter { Width = 760, Height = 460 }.Export(model, stream);
            Console.WriteLine($"Wrote {png}");
        }
    }
}
