using System.ComponentModel;
using Microsoft.ML;
using MLNet.CSP.Pipelines.AutoML;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.CSP.Examples.Commands;

/// <summary>A time-budgeted AutoML search (mlContext.CspAutoML()) with a live table of trials; evaluates and saves the best model.</summary>
public sealed class AutoMLCommand : Command<AutoMLCommand.Settings>
{
    public sealed class Settings : ImageFolderSettings
    {
        [CommandOption("--budget <SECONDS>")]
        [Description("Wall-clock budget of the search.")]
        [DefaultValue(300u)]
        public uint Budget { get; set; } = 300;

        [CommandOption("--metric <METRIC>")]
        [Description("MicroAccuracy, MacroAccuracy or LogLoss (on 20% of the training images, held out for validation).")]
        [DefaultValue(CspSearchMetric.MicroAccuracy)]
        public CspSearchMetric Metric { get; set; } = CspSearchMetric.MicroAccuracy;

        [CommandOption("--strategy <STRATEGY>")]
        [Description("TwoStage (frozen features + ML.NET heads, then successive halving over epochs), FrozenFeaturesOnly or RandomSearch.")]
        [DefaultValue(CspSearchStrategy.TwoStage)]
        public CspSearchStrategy Strategy { get; set; } = CspSearchStrategy.TwoStage;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var ml = new MLContext(seed: settings.Seed);
        Directory.CreateDirectory(settings.Output);
        var (train, test, trainCount, testCount) = Datasets.Load(ml, settings);
        AnsiConsole.MarkupLine($"Searching for {settings.Budget} s ({settings.Strategy}) on {trainCount} images (20% held out for validation); testing the best model on {testCount}.");
        var experiment = ml.CspAutoML().CreateImageClassificationExperiment(new CspImageClassificationExperimentOptions
        {
            TrainingTimeInSeconds = settings.Budget,
            Metric = settings.Metric,
            Strategy = settings.Strategy,
            Seed = settings.Seed,
            CropFraction = 1.0,
            CheckpointDirectory = Path.Combine(settings.Output, "automl"),
        }).SetDataset(train);

        var table = new Table().Border(TableBorder.Rounded).Title("Trials (latest 15)");
        foreach (var column in new[] { "#", "stage", "rung", "epochs", "configuration", "status", settings.Metric.ToString(), "s" }) table.AddColumn(column);
        var rows = new List<CspTrialResult>();
        void Update(CspTrialResult update)
        {
            int i = rows.FindLastIndex(r => r.TrialId == update.TrialId && r.Rung == update.Rung && r.Stage == update.Stage);
            if (i >= 0) rows[i] = update; else rows.Add(update);
            table.Rows.Clear();
            foreach (var t in rows.TakeLast(15))
                table.AddRow(t.TrialId.ToString(), t.Stage.ToString(), t.Rung?.ToString() ?? "", t.Epochs.ToString(),
                    Markup.Escape(Describe(t.Parameters, t.Stage)), Colour(t.Status), t.Metric is double m ? $"{m:F4}" : "", $"{t.Duration.TotalSeconds:F1}");
            var best = rows.Where(r => r.Metric is not null).OrderByDescending(r => settings.Metric == CspSearchMetric.LogLoss ? -r.Metric : r.Metric).FirstOrDefault();
            table.Caption($"best so far: {Markup.Escape(best?.ToString() ?? "-")}");
        }
        CspExperimentResult result;
        if (Console.IsOutputRedirected)
        {
            // Logs and CI: a line per finished trial instead of a redrawn table, then the table once.
            experiment.SetProgress(new TableProgress(t =>
            {
                lock (rows)
                {
                    Update(t);
                    if (t.Status != CspTrialStatus.Running) AnsiConsole.MarkupLine($"{Colour(t.Status)} {Markup.Escape(t.ToString())}");
                }
            }));
            result = experiment.RunAsync(cancellationToken).GetAwaiter().GetResult();
            AnsiConsole.Write(table);
        }
        else
        {
            CspExperimentResult? finished = null;
            AnsiConsole.Live(table).AutoClear(false).Start(live =>
            {
                experiment.SetProgress(new TableProgress(t =>
                {
                    lock (rows)
                    {
                        Update(t);
                        live.Refresh();
                    }
                }));
                finished = experiment.RunAsync(cancellationToken).GetAwaiter().GetResult();
            });
            result = finished!;
        }
        int pruned = result.Trials.Count(t => t.Pruned), failed = result.Trials.Count(t => t.Status == CspTrialStatus.Failed);
        AnsiConsole.MarkupLine($"Searched {result.Elapsed.TotalSeconds:F0} s (budget {settings.Budget} s): {result.Trials.Count} trials, {pruned} pruned, {failed} failed{(result.Cancelled ? ", cancelled" : "")}.");
        AnsiConsole.MarkupLine($"Best: [bold]{Markup.Escape(result.BestTrial.ToString())}[/]");
        if (result.FinalFit is { } final)
            AnsiConsole.MarkupLine($"Model: its configuration trained again on the training and validation images, {final.Epochs} epochs in {final.Duration.TotalSeconds:F0} s.");

        var scored = result.Model.Transform(test);
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        var classes = Reports.ClassNames(scored.Schema);
        Reports.PrintMetrics(metrics, classes);
        string zip = Path.Combine(settings.Output, "model.zip");
        ml.Model.Save(result.Model, train.Schema, zip);
        string confusion = Reports.PlotConfusionMatrix(metrics, classes, settings.Output);
        string plot = Reports.PlotSearchProgress(result.Trials, settings.Metric.ToString(), settings.Metric != CspSearchMetric.LogLoss, settings.Output);
        AnsiConsole.MarkupLine($"Saved [bold]{Markup.Escape(zip)}[/], the trials in [bold]{Markup.Escape(result.TrialHistoryPath ?? "")}[/], plots [bold]{Markup.Escape(plot)}[/] and [bold]{Markup.Escape(confusion)}[/].");
        return 0;
    }

    private static string Describe(CspImageClassificationSearchSpace p, CspSearchStage stage) => stage == CspSearchStage.Features
        ? $"{p.Architecture}@{p.ImageSize} {p.Head}"
        : FormattableString.Invariant($"{p.Architecture}@{p.ImageSize} lr {p.LearningRate:G2} wd {p.WeightDecay:G2} ls {p.LabelSmoothing:F2} {p.Augmentation}{(p.FreezeBackbone ? " frozen" : "")}");

    private static string Colour(CspTrialStatus status) => status switch
    {
        CspTrialStatus.Completed => "[green]Completed[/]",
        CspTrialStatus.Running => "[blue]Running[/]",
        CspTrialStatus.Pruned => "[grey]Pruned[/]",
        CspTrialStatus.Failed => "[red]Failed[/]",
        _ => $"[yellow]{status}[/]",
    };

    /// <summary>Reports on the search's thread (the live table is redrawn under a lock).</summary>
    private sealed class TableProgress(Action<CspTrialResult> report) : IProgress<CspTrialResult>
    {
        public void Report(CspTrialResult value) => report(value);
    }
}
