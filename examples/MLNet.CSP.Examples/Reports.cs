using MLNet.CSP.Pipelines.Training;
using MLNet.CSP.Pipelines.Classification;
using Microsoft.ML.Data;
using Microsoft.ML;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;
using OxyPlot;
using Spectre.Console;

namespace MLNet.CSP.Examples;

/// <summary>Console tables and PNG plots of a run.</summary>
internal static class Reports
{
    public static string[] ClassNames(DataViewSchema schema, string column = "Label")
    {
        VBuffer<ReadOnlyMemory<char>> names = default;
        schema[column].GetKeyValues(ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }

    public static void PrintMetrics(MulticlassClassificationMetrics metrics, string[] classes)
    {
        AnsiConsole.MarkupLine($"[bold]Test accuracy[/] (micro) {metrics.MicroAccuracy:P2}, macro {metrics.MacroAccuracy:P2}, log-loss {metrics.LogLoss:F4}");
        var table = new Table().Title("Confusion matrix (rows: actual, columns: predicted)").AddColumn("actual \\ predicted");
        for (int j = 0; j < classes.Length; j++) table.AddColumn(new TableColumn(Markup.Escape(Short(classes[j]))).RightAligned());
        table.AddColumn(new TableColumn("recall").RightAligned());
        var counts = metrics.ConfusionMatrix.Counts;
        for (int i = 0; i < classes.Length; i++)
        {
            var cells = new List<string> { Markup.Escape(classes[i]) };
            for (int j = 0; j < classes.Length; j++) cells.Add(i == j ? $"[green]{counts[i][j]:F0}[/]" : counts[i][j] > 0 ? $"{counts[i][j]:F0}" : "[grey]0[/]");
            cells.Add($"{metrics.ConfusionMatrix.PerClassRecall[i]:P0}");
            table.AddRow(cells.ToArray());
        }
        AnsiConsole.Write(table);
    }

    /// <summary>Loss and accuracy per epoch, train and validation: training-loss.png and training-accuracy.png.</summary>
    public static string[] PlotTrainingCurves(IReadOnlyList<CspEpochMetrics> epochs, string folder)
    {
        string Curve(string name, string title, Func<CspEpochMetrics, double> train, Func<CspEpochMetrics, double?> validation)
        {
            var model = new PlotModel { Title = title, Background = OxyColors.White };
            model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "epoch", MajorGridlineStyle = LineStyle.Dot });
            model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = title.ToLowerInvariant(), MajorGridlineStyle = LineStyle.Dot });
            var trainSeries = new LineSeries { Title = "train", MarkerType = MarkerType.Circle };
            trainSeries.Points.AddRange(epochs.Select(e => new DataPoint(e.Epoch, train(e))));
            model.Series.Add(trainSeries);
            if (epochs.All(e => validation(e) is not null))
            {
                var validationSeries = new LineSeries { Title = "validation", MarkerType = MarkerType.Square };
                validationSeries.Points.AddRange(epochs.Select(e => new DataPoint(e.Epoch, validation(e)!.Value)));
                model.Series.Add(validationSeries);
            }
            model.Legends.Add(new Legend { LegendPosition = LegendPosition.RightMiddle, LegendPlacement = LegendPlacement.Inside });
            return Save(model, Path.Combine(folder, name), 640, 420);
        }
        return
        [
            Curve("training-loss.png", "Loss", e => e.TrainLoss, e => e.ValidationLoss),
            Curve("training-accuracy.png", "Accuracy", e => e.TrainAccuracy, e => e.ValidationAccuracy),
        ];
    }

    /// <summary>Row-normalised confusion matrix as a heat map with class names.</summary>
    public static string PlotConfusionMatrix(MulticlassClassificationMetrics metrics, string[] classes, string folder)
    {
        int n = classes.Length;
        var counts = metrics.ConfusionMatrix.Counts;
        var values = new double[n, n]; // [x = predicted, y = actual]
        for (int i = 0; i < n; i++)
        {
            double total = Math.Max(1, counts[i].Sum());
            for (int j = 0; j < n; j++) values[j, n - 1 - i] = counts[i][j] / total;
        }
        var model = new PlotModel { Title = $"Confusion matrix (accuracy {metrics.MicroAccuracy:P1})", Background = OxyColors.White };
        model.Axes.Add(new LinearColorAxis { Position = AxisPosition.Right, Palette = OxyPalettes.Viridis(200), Minimum = 0, Maximum = 1 });
        var bottom = new CategoryAxis { Position = AxisPosition.Bottom, Title = "predicted", Angle = -45 };
        bottom.Labels.AddRange(classes.Select(Short));
        var left = new CategoryAxis { Position = AxisPosition.Left, Title = "actual" };
        left.Labels.AddRange(classes.Reverse().Select(Short));
        model.Axes.Add(bottom);
        model.Axes.Add(left);
        model.Series.Add(new HeatMapSeries
        {
            X0 = 0,
            X1 = n - 1,
            Y0 = 0,
            Y1 = n - 1,
            Data = values,
            Interpolate = false,
            RenderMethod = HeatMapRenderMethod.Rectangles,
            LabelFontSize = 0.2,
            LabelFormatString = "0.00",
        });
        return Save(model, Path.Combine(folder, "confusion-matrix.png"), 760, 680);
    }

    /// <summary>An AutoML search over time: every trial's validation metric by stage, and the best so far.</summary>
    public static string PlotSearchProgress(IReadOnlyList<MLNet.CSP.Pipelines.AutoML.CspTrialResult> trials, string metricName, bool higherIsBetter, string folder)
    {
        var model = new PlotModel { Title = $"Search: validation {metricName} over time", Background = OxyColors.White };
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "seconds", MajorGridlineStyle = LineStyle.Dot, Minimum = 0 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = metricName, MajorGridlineStyle = LineStyle.Dot });
        var scored = trials.Where(t => t.Metric is double m && double.IsFinite(m)).OrderBy(t => t.EndedAtSeconds).ToList();
        foreach (var stage in Enum.GetValues<MLNet.CSP.Pipelines.AutoML.CspSearchStage>())
        {
            var points = new ScatterSeries { Title = stage == MLNet.CSP.Pipelines.AutoML.CspSearchStage.Features ? "head on frozen features" : "fine-tuning rung", MarkerType = stage == MLNet.CSP.Pipelines.AutoML.CspSearchStage.Features ? MarkerType.Diamond : MarkerType.Circle, MarkerSize = 3 };
            points.Points.AddRange(scored.Where(t => t.Stage == stage).Select(t => new ScatterPoint(t.EndedAtSeconds, t.Metric!.Value)));
            model.Series.Add(points);
        }
        var best = new StairStepSeries { Title = "best so far", StrokeThickness = 2 };
        double? current = null;
        foreach (var t in scored)
        {
            if (current is null || (higherIsBetter ? t.Metric > current : t.Metric < current)) current = t.Metric;
            best.Points.Add(new DataPoint(t.EndedAtSeconds, current!.Value));
        }
        model.Series.Add(best);
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.BottomRight, LegendPlacement = LegendPlacement.Inside });
        return Save(model, Path.Combine(folder, "search-progress.png"), 720, 440);
    }

    private static string Save(PlotModel model, string path, int width, int height)
    {
        using var stream = File.Create(path);
        new OxyPlot.SkiaSharp.PngExporter { Width = width, Height = height }.Export(model, stream);
        return path;
    }

    private static string Short(string name) => name.Length <= 10 ? name : name[..10];
}
