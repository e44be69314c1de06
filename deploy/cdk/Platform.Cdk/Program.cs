using Amazon.CDK;
using Platform.Cdk;

var app = new App(new AppProps { Outdir = System.Environment.GetEnvironmentVariable("CDK_OUTDIR") ?? "cdk.out" });
PlatformSettings.FromContext(app).AddStacks(app);
app.Synth();
