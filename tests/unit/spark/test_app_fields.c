/* Tests for src/spark/app.c, field by field: for every SparkApplication field (spec/
 * sparkapplication.md §1), a minimal app with that field set and what the conversion gives (conf
 * entries as the Kubeflow operator passes them, extras for the webhook fields, submission
 * fields), then one bad value per field with the error's field path and message. */
#include "test.h"

#include "spark/spark.h"

static json_t *yaml(const char *text)
{
    json_t *doc = NULL;
    struct slu_err err = {0};
    if (slu_yaml_load_one(text, strlen(text), NULL, &doc, &err) != 0)
        fail_msg("bad test YAML: %s\n%s", err.msg, text);
    return doc;
}

/* Sets the members of the flow-mapping fragment frag ("a: 1, b: x") into obj, replacing. */
static void merge_fragment(json_t *obj, const char *frag)
{
    if (!frag)
        return;
    char *y = slu_asprintf("{%s}", frag);
    json_t *f = yaml(y);
    free(y);
    json_object_update(obj, f);
    json_decref(f);
}

/* The base app with spec, driver and executor fragments set into it. */
static json_t *make_app(const char *spec, const char *driver, const char *executor)
{
    json_t *app = yaml("apiVersion: sparkoperator.k8s.io/v1beta2\n"
                       "kind: SparkApplication\n"
                       "metadata: {name: app, namespace: ns1, uid: u-1}\n"
                       "spec: {type: Scala, sparkVersion: '4.0.4', "
                       "mainApplicationFile: 'local:///opt/a.jar', image: img, driver: {}, "
                       "executor: {}}\n");
    json_t *sp = json_object_get(app, "spec");
    merge_fragment(sp, spec);
    if (json_is_object(json_object_get(sp, "driver")))
        merge_fragment(json_object_get(sp, "driver"), driver);
    if (json_is_object(json_object_get(sp, "executor")))
        merge_fragment(json_object_get(sp, "executor"), executor);
    return app;
}

/* A JSON scalar at path as text ("" when absent or not a scalar). */
static char *text_at(const json_t *root, const char *path)
{
    json_t *v = path[0] ? slu_json_path(root, path) : (json_t *)root;
    if (json_is_string(v))
        return slu_strdup(json_string_value(v));
    if (json_is_integer(v))
        return slu_asprintf("%lld", (long long)json_integer_value(v));
    if (json_is_boolean(v))
        return slu_strdup(json_is_true(v) ? "true" : "false");
    return slu_strdup(v ? "<non-scalar>" : "<absent>");
}

static const char *sub_field(const struct spark_submission *s, const char *name)
{
    if (strcmp(name, "main_class") == 0)
        return s->main_class;
    if (strcmp(name, "primary_resource") == 0)
        return s->primary_resource;
    if (strcmp(name, "proxy_user") == 0)
        return s->proxy_user;
    if (strcmp(name, "app_type") == 0)
        return s->app_type;
    if (strcmp(name, "spark_version") == 0)
        return s->spark_version;
    if (strcmp(name, "driver_pod_name") == 0)
        return s->driver_pod_name;
    if (strcmp(name, "namespace") == 0)
        return s->namespace;
    if (strcmp(name, "args") == 0) {
        static char buf[256];
        buf[0] = '\0';
        for (size_t i = 0; i < s->nargs; i++) {
            size_t l = strlen(buf);
            snprintf(buf + l, sizeof(buf) - l, "%s%s", i ? "|" : "", s->args[i]);
        }
        return buf;
    }
    fail_msg("unknown submission field %s", name);
    return NULL;
}

/*
 * Expectations, one string each:
 *   "k=v"          conf has k = v
 *   "!k"           conf lacks k
 *   "=base"        conf is exactly the base app's conf (the field has no conf effect)
 *   "D:path=v"     driver extras: value at path (E: executor extras, V: app_volumes,
 *                  T: driver template, X: executor template)
 *   "D!path"       driver extras: nothing at path (E!, ...)
 *   "S:field=v"    a struct spark_submission field (args joined with '|')
 */
struct fcase {
    const char *field;
    const char *spec, *driver, *executor;
    const char *expect[12];
};

static const struct fcase cases[] = {
    /* ---- top-level spec */
    {"suspend", "suspend: true", NULL, NULL, {"=base"}},
    {"type", "type: Java", NULL, NULL, {"S:app_type=Java"}},
    {"type Python",
     "type: Python, mainApplicationFile: 'local:///a.py'",
     NULL,
     NULL,
     {"S:app_type=Python", "S:primary_resource=local:///a.py"}},
    {"type R", "type: R, mainApplicationFile: 'local:///a.R'", NULL, NULL, {"S:app_type=R"}},
    {"mode", "mode: cluster", NULL, NULL, {"spark.submit.deployMode=cluster", "=base"}},
    {"sparkVersion",
     "sparkVersion: '3.5.1'",
     NULL,
     NULL,
     {"S:spark_version=3.5.1",
      "spark.kubernetes.driver.label.sparkoperator.k8s.io/mutated-by-spark-operator=true"}},
    {"proxyUser", "proxyUser: alice", NULL, NULL, {"S:proxy_user=alice", "=base"}},
    {"image",
     "image: other:1",
     NULL,
     NULL,
     {"spark.kubernetes.container.image=other:1", "spark.kubernetes.driver.container.image=other:1",
      "spark.kubernetes.executor.container.image=other:1"}},
    {"imagePullPolicy",
     "imagePullPolicy: Always",
     NULL,
     NULL,
     {"spark.kubernetes.container.image.pullPolicy=Always"}},
    {"imagePullSecrets",
     "imagePullSecrets: [s1, s2]",
     NULL,
     NULL,
     {"spark.kubernetes.container.image.pullSecrets=s1,s2"}},
    {"mainClass", "mainClass: a.B", NULL, NULL, {"S:main_class=a.B", "=base"}},
    {"mainApplicationFile",
     "mainApplicationFile: 's3a://b/app.jar'",
     NULL,
     NULL,
     {"S:primary_resource=s3a://b/app.jar"}},
    {"arguments", "arguments: ['1', '--x', '']", NULL, NULL, {"S:args=1|--x|", "=base"}},
    {"sparkConf",
     "sparkConf: {spark.sql.shuffle.partitions: '8', spark.kubernetes.driver.pod.name: p1}",
     NULL,
     NULL,
     {"spark.sql.shuffle.partitions=8", "spark.kubernetes.driver.pod.name=p1",
      "S:driver_pod_name=p1"}},
    {"hadoopConf",
     "hadoopConf: {fs.s3a.endpoint: 'http://minio'}",
     NULL,
     NULL,
     {"spark.hadoop.fs.s3a.endpoint=http://minio"}},
    {"sparkConfigMap",
     "sparkConfigMap: my-spark-conf",
     NULL,
     NULL,
     {"=base", "D:env[0].name=SPARK_CONF_DIR", "D:env[0].value=/etc/spark/conf",
      "D:volumeMounts[0].name=spark-configmap-volume",
      "D:volumeMounts[0].mountPath=/etc/spark/conf", "E:env[0].name=SPARK_CONF_DIR",
      "V:[0].name=spark-configmap-volume", "V:[0].configMap.name=my-spark-conf",
      "D:sparkConfigMap=my-spark-conf"}},
    {"hadoopConfigMap",
     "hadoopConfigMap: hc, sparkConfigMap: sc",
     NULL,
     NULL,
     {"D:env[0].name=HADOOP_CONF_DIR", "D:env[1].name=SPARK_CONF_DIR",
      "D:volumeMounts[0].mountPath=/etc/hadoop/conf", "V:[0].configMap.name=hc",
      "V:[1].configMap.name=sc", "E:volumeMounts[1].name=spark-configmap-volume"}},
    {"volumes (webhook)",
     "volumes: [{name: data, persistentVolumeClaim: {claimName: c}}]",
     "volumeMounts: [{name: data, mountPath: /data}]",
     NULL,
     {"=base", "V:[0].name=data", "D:volumeMounts[0].mountPath=/data", "D:volumes[0].name=data",
      "E!volumeMounts"}},
    {"deps.jars", "deps: {jars: [a.jar, b.jar]}", NULL, NULL, {"spark.jars=a.jar,b.jar"}},
    {"deps.files", "deps: {files: [f1]}", NULL, NULL, {"spark.files=f1"}},
    {"deps.pyFiles", "deps: {pyFiles: [p.zip]}", NULL, NULL, {"spark.submit.pyFiles=p.zip"}},
    {"deps.packages", "deps: {packages: ['g:a:1']}", NULL, NULL, {"spark.jars.packages=g:a:1"}},
    {"deps.excludePackages",
     "deps: {excludePackages: ['g:x']}",
     NULL,
     NULL,
     {"spark.jars.excludes=g:x"}},
    {"deps.repositories",
     "deps: {repositories: ['https://r']}",
     NULL,
     NULL,
     {"spark.jars.repositories=https://r"}},
    {"deps.archives", "deps: {archives: ['a.tgz#x']}", NULL, NULL, {"spark.archives=a.tgz#x"}},
    {"restartPolicy",
     "restartPolicy: {type: OnFailure, onFailureRetries: 3, onSubmissionFailureRetries: 2, "
     "onFailureRetryInterval: 10, onSubmissionFailureRetryInterval: 20}",
     NULL,
     NULL,
     {"=base"}},
    {"nodeSelector",
     "nodeSelector: {disk: ssd}",
     NULL,
     NULL,
     {"spark.kubernetes.node.selector.disk=ssd", "D!nodeSelector"}},
    {"failureRetries", "failureRetries: 3, retryInterval: 10", NULL, NULL, {"=base"}},
    {"pythonVersion",
     "type: Python, mainApplicationFile: a.py, pythonVersion: '3'",
     NULL,
     NULL,
     {"spark.kubernetes.pyspark.pythonVersion=3"}},
    {"memoryOverheadFactor",
     "memoryOverheadFactor: '0.2'",
     NULL,
     NULL,
     {"spark.kubernetes.memoryOverheadFactor=0.2"}},
    {"monitoring.prometheus",
     "monitoring: {exposeDriverMetrics: true, exposeExecutorMetrics: false, prometheus: "
     "{jmxExporterJar: /j.jar}}",
     "javaOptions: -Dx=1",
     NULL,
     {"spark.driver.extraJavaOptions=-Dx=1 -javaagent:/j.jar=8090:/etc/metrics/conf/"
      "prometheus.yaml",
      "!spark.executor.extraJavaOptions", "spark.metrics.namespace=ns1.app",
      "spark.metrics.conf=/etc/metrics/conf/metrics.properties",
      "spark.kubernetes.driver.annotation.prometheus.io/scrape=true",
      "spark.kubernetes.driver.annotation.prometheus.io/port=8090",
      "spark.kubernetes.driver.annotation.prometheus.io/path=/metrics",
      "D:ports[0].name=jmx-exporter", "D:ports[0].containerPort=8090",
      "D:volumeMounts[0].name=app-prom-conf-vol", "V:[0].configMap.name=app-prom-conf", "E!ports"}},
    {"monitoring files",
     "monitoring: {exposeDriverMetrics: false, exposeExecutorMetrics: true, "
     "metricsPropertiesFile: /m.properties, prometheus: {jmxExporterJar: /j.jar, port: 9000, "
     "portName: prom, configFile: /p.yaml}}",
     NULL,
     NULL,
     {"spark.executor.extraJavaOptions=-javaagent:/j.jar=9000:/p.yaml",
      "spark.metrics.conf=/m.properties",
      "spark.kubernetes.executor.annotation.prometheus.io/port=9000", "E!ports", "E!volumeMounts",
      "!spark.kubernetes.driver.annotation.prometheus.io/port"}},
    {"monitoring without prometheus",
     "monitoring: {exposeDriverMetrics: true, exposeExecutorMetrics: true, "
     "metricsProperties: 'x=1'}",
     NULL,
     NULL,
     {"=base", "D!ports"}},
    {"batchScheduler",
     "batchScheduler: volcano",
     "schedulerName: mine",
     NULL,
     {"=base", "D:schedulerName=volcano", "E:schedulerName=volcano", "D:batchScheduler=volcano"}},
    {"batchSchedulerOptions",
     "batchSchedulerOptions: {queue: q1, priorityClassName: high, resources: {cpu: '4', "
     "memory: 8Gi}}",
     NULL,
     NULL,
     {"=base", "D:batchSchedulerOptions.queue=q1", "E:batchSchedulerOptions.resources.cpu=4"}},
    {"timeToLiveSeconds", "timeToLiveSeconds: 3600", NULL, NULL, {"=base"}},
    {"sparkUIOptions",
     "sparkUIOptions: {servicePort: 4041, servicePortName: ui, serviceType: NodePort, "
     "serviceAnnotations: {a: b}, serviceLabels: {c: d}, ingressAnnotations: {e: f}, "
     "ingressTLS: [{hosts: [h], secretName: s}]}",
     NULL,
     NULL,
     {"=base"}},
    {"driverIngressOptions",
     "driverIngressOptions: [{servicePort: 8888, servicePortName: nb, ingressURLFormat: "
     "'{{$appName}}.x'}]",
     NULL,
     NULL,
     {"=base"}},
    {"dynamicAllocation",
     "dynamicAllocation: {enabled: true, initialExecutors: 2, minExecutors: 1, maxExecutors: 5, "
     "shuffleTrackingTimeout: 60000}",
     NULL,
     NULL,
     {"spark.dynamicAllocation.enabled=true", "spark.dynamicAllocation.initialExecutors=2",
      "spark.dynamicAllocation.minExecutors=1", "spark.dynamicAllocation.maxExecutors=5",
      "spark.dynamicAllocation.shuffleTracking.enabled=true",
      "spark.dynamicAllocation.shuffleTracking.timeout=60000", "!spark.executor.instances"}},
    {"dynamicAllocation off",
     "dynamicAllocation: {enabled: false, maxExecutors: 5, shuffleTrackingEnabled: false}",
     NULL,
     NULL,
     {"=base", "spark.executor.instances=1"}},
    {"dynamicAllocation shuffleTracking off",
     "dynamicAllocation: {enabled: true, shuffleTrackingEnabled: false}",
     NULL,
     NULL,
     {"spark.dynamicAllocation.shuffleTracking.enabled=false"}},
    {"driverPodDisruptionBudget", "driverPodDisruptionBudget: true", NULL, NULL, {"=base"}},
    {"metadata.labels (kueue dropped)",
     NULL,
     NULL,
     NULL,
     {"spark.kubernetes.driver.label.team=a", "spark.kubernetes.executor.label.team=a",
      "!spark.kubernetes.driver.label.kueue.x-k8s.io/queue-name"}},

    /* ---- SparkPodSpec, on the driver */
    {"driver.template",
     NULL,
     "template: {metadata: {labels: {t: '1'}}, spec: {containers: [{name: "
     "spark-kubernetes-driver}]}}",
     NULL,
     {"spark.kubernetes.driver.podTemplateFile=/tmp/spark/sid/driver-pod-template.yaml",
      "spark.kubernetes.driver.podTemplateContainerName=spark-kubernetes-driver",
      "!spark.kubernetes.driver.label.sparkoperator.k8s.io/mutated-by-spark-operator",
      "spark.kubernetes.executor.label.sparkoperator.k8s.io/mutated-by-spark-operator=true",
      "T:metadata.labels.t=1", "D!template"}},
    {"driver.cores", NULL, "cores: 3", NULL, {"spark.driver.cores=3"}},
    {"driver.coreLimit",
     NULL,
     "coreLimit: 1200m",
     NULL,
     {"spark.kubernetes.driver.limit.cores=1200m"}},
    {"driver.coreRequest",
     NULL,
     "coreRequest: 500m",
     NULL,
     {"spark.kubernetes.driver.request.cores=500m"}},
    {"driver.memory", NULL, "memory: 2g", NULL, {"spark.driver.memory=2g"}},
    {"driver.memoryLimit", NULL, "memoryLimit: 3g", NULL, {"=base", "D:memoryLimit=3g"}},
    {"driver.memoryOverhead",
     NULL,
     "memoryOverhead: 512m",
     NULL,
     {"spark.driver.memoryOverhead=512m"}},
    {"driver.gpu",
     NULL,
     "gpu: {name: nvidia.com/gpu, quantity: 1}",
     NULL,
     {"=base", "D:gpu.name=nvidia.com/gpu", "D:gpu.quantity=1"}},
    {"driver.image",
     NULL,
     "image: drv:2",
     NULL,
     {"spark.kubernetes.driver.container.image=drv:2", "spark.kubernetes.container.image=img",
      "spark.kubernetes.executor.container.image=img"}},
    {"driver.configMaps",
     NULL,
     "configMaps: [{name: cm1, path: /etc/cm1}]",
     NULL,
     {"=base", "D:configMaps[0].name=cm1", "D:configMaps[0].path=/etc/cm1"}},
    {"driver.secrets",
     NULL,
     "secrets: [{name: g, path: /mnt/g, secretType: GCPServiceAccount}, {name: h, path: /mnt/h/, "
     "secretType: HadoopDelegationToken}, {name: x, path: /mnt/x, secretType: Generic}]",
     NULL,
     {"spark.kubernetes.driver.secrets.g=/mnt/g",
      "spark.kubernetes.driverEnv.GOOGLE_APPLICATION_CREDENTIALS=/mnt/g/key.json",
      "spark.kubernetes.driver.secrets.h=/mnt/h/",
      "spark.kubernetes.driverEnv.HADOOP_TOKEN_FILE_LOCATION=/mnt/h/hadoop.token",
      "spark.kubernetes.driver.secrets.x=/mnt/x"}},
    {"driver.env",
     NULL,
     "env: [{name: A, value: '1'}, {name: B, valueFrom: {fieldRef: "
     "{fieldPath: status.podIP}}}]",
     NULL,
     {"=base", "D:env[0].name=A", "D:env[1].valueFrom.fieldRef.fieldPath=status.podIP"}},
    {"driver.envVars", NULL, "envVars: {FOO: bar}", NULL, {"spark.kubernetes.driverEnv.FOO=bar"}},
    {"driver.envFrom",
     NULL,
     "envFrom: [{configMapRef: {name: c}}]",
     NULL,
     {"=base", "D:envFrom[0].configMapRef.name=c"}},
    {"driver.envSecretKeyRefs",
     NULL,
     "envSecretKeyRefs: {PASS: {name: db, key: pw}}",
     NULL,
     {"spark.kubernetes.driver.secretKeyRef.PASS=db:pw"}},
    {"driver.labels",
     NULL,
     "labels: {version: '4'}",
     NULL,
     {"spark.kubernetes.driver.label.version=4", "!spark.kubernetes.executor.label.version"}},
    {"driver.annotations",
     NULL,
     "annotations: {a/b: c}",
     NULL,
     {"spark.kubernetes.driver.annotation.a/b=c"}},
    {"driver.volumeMounts hostPath",
     "volumes: [{name: spark-local-dir-1, hostPath: {path: /mnt/d1, type: Directory}}]",
     "volumeMounts: [{name: spark-local-dir-1, mountPath: /tmp/l, readOnly: true, subPath: s}]",
     NULL,
     {"spark.kubernetes.driver.volumes.hostPath.spark-local-dir-1.mount.path=/tmp/l",
      "spark.kubernetes.driver.volumes.hostPath.spark-local-dir-1.mount.readOnly=true",
      "spark.kubernetes.driver.volumes.hostPath.spark-local-dir-1.mount.subPath=s",
      "spark.kubernetes.driver.volumes.hostPath.spark-local-dir-1.options.path=/mnt/d1",
      "spark.kubernetes.driver.volumes.hostPath.spark-local-dir-1.options.type=Directory",
      "!spark.kubernetes.executor.volumes.hostPath.spark-local-dir-1.mount.path"}},
    {"executor.volumeMounts emptyDir",
     "volumes: [{name: spark-local-dir-e, emptyDir: {medium: Memory, sizeLimit: 1024Mi}}]",
     NULL,
     "volumeMounts: [{name: spark-local-dir-e, mountPath: /tmp/e}]",
     {"spark.kubernetes.executor.volumes.emptyDir.spark-local-dir-e.mount.path=/tmp/e",
      "spark.kubernetes.executor.volumes.emptyDir.spark-local-dir-e.options.sizeLimit=1Gi",
      "!spark.kubernetes.executor.volumes.emptyDir.spark-local-dir-e.options.medium",
      "!spark.kubernetes.executor.volumes.emptyDir.spark-local-dir-e.mount.readOnly"}},
    {"driver.volumeMounts nfs",
     "volumes: [{name: spark-local-dir-n, nfs: {server: s1, path: /x, readOnly: true}}]",
     "volumeMounts: [{name: spark-local-dir-n, mountPath: /n}]",
     NULL,
     {"spark.kubernetes.driver.volumes.nfs.spark-local-dir-n.options.server=s1",
      "spark.kubernetes.driver.volumes.nfs.spark-local-dir-n.options.path=/x",
      "spark.kubernetes.driver.volumes.nfs.spark-local-dir-n.options.readOnly=true"}},
    {"driver.volumeMounts pvc",
     "volumes: [{name: spark-local-dir-p, persistentVolumeClaim: {claimName: OnDemand}}]",
     "volumeMounts: [{name: spark-local-dir-p, mountPath: /p}]",
     NULL,
     {"spark.kubernetes.driver.volumes.persistentVolumeClaim.spark-local-dir-p.options."
      "claimName=OnDemand",
      "spark.kubernetes.driver.volumes.persistentVolumeClaim.spark-local-dir-p.mount.path=/p"}},
    {"driver.affinity",
     NULL,
     "affinity: {nodeAffinity: {x: 1}}",
     NULL,
     {"=base", "D:affinity.nodeAffinity.x=1"}},
    {"driver.tolerations",
     NULL,
     "tolerations: [{key: k, operator: Exists}]",
     NULL,
     {"=base", "D:tolerations[0].key=k"}},
    {"driver.podSecurityContext",
     NULL,
     "podSecurityContext: {fsGroup: 185}",
     NULL,
     {"=base", "D:podSecurityContext.fsGroup=185"}},
    {"driver.securityContext",
     NULL,
     "securityContext: {runAsUser: 185}",
     NULL,
     {"=base", "D:securityContext.runAsUser=185"}},
    {"driver.schedulerName", NULL, "schedulerName: s2", NULL, {"=base", "D:schedulerName=s2"}},
    {"driver.sidecars",
     NULL,
     "sidecars: [{name: side, image: busybox}]",
     NULL,
     {"=base", "D:sidecars[0].name=side"}},
    {"driver.initContainers",
     NULL,
     "initContainers: [{name: init, image: busybox}]",
     NULL,
     {"=base", "D:initContainers[0].image=busybox"}},
    {"driver.hostNetwork", NULL, "hostNetwork: true", NULL, {"=base", "D:hostNetwork=true"}},
    {"driver.nodeSelector",
     NULL,
     "nodeSelector: {zone: a}",
     NULL,
     {"=base", "D:nodeSelector.zone=a", "!spark.kubernetes.node.selector.zone"}},
    {"driver.dnsConfig",
     NULL,
     "dnsConfig: {nameservers: [1.1.1.1]}",
     NULL,
     {"=base", "D:dnsConfig.nameservers[0]=1.1.1.1"}},
    {"driver.terminationGracePeriodSeconds",
     NULL,
     "terminationGracePeriodSeconds: 5",
     NULL,
     {"=base", "D:terminationGracePeriodSeconds=5"}},
    {"driver.serviceAccount",
     NULL,
     "serviceAccount: spark",
     NULL,
     {"spark.kubernetes.authenticate.driver.serviceAccountName=spark",
      "!spark.kubernetes.authenticate.executor.serviceAccountName"}},
    {"driver.hostAliases",
     NULL,
     "hostAliases: [{ip: 10.0.0.1, hostnames: [h]}]",
     NULL,
     {"=base", "D:hostAliases[0].ip=10.0.0.1"}},
    {"driver.shareProcessNamespace",
     NULL,
     "shareProcessNamespace: true",
     NULL,
     {"=base", "D:shareProcessNamespace=true"}},
    {"driver.podName",
     NULL,
     "podName: my-driver",
     NULL,
     {"spark.kubernetes.driver.pod.name=my-driver", "S:driver_pod_name=my-driver"}},
    {"driver.javaOptions",
     NULL,
     "javaOptions: '-Da=b -Dc=d'",
     NULL,
     {"spark.driver.extraJavaOptions=-Da=b -Dc=d"}},
    {"driver.lifecycle",
     NULL,
     "lifecycle: {preStop: {exec: {command: [x]}}}",
     NULL,
     {"=base", "D:lifecycle.preStop.exec.command[0]=x"}},
    {"driver.kubernetesMaster",
     NULL,
     "kubernetesMaster: 'https://k:6443'",
     NULL,
     {"spark.kubernetes.driver.master=https://k:6443"}},
    {"driver.serviceAnnotations",
     NULL,
     "serviceAnnotations: {sa: '1'}",
     NULL,
     {"spark.kubernetes.driver.service.annotation.sa=1"}},
    {"driver.serviceLabels",
     NULL,
     "serviceLabels: {sl: '2'}",
     NULL,
     {"spark.kubernetes.driver.service.label.sl=2"}},
    {"driver.ports",
     NULL,
     "ports: [{name: http, containerPort: 8080, protocol: TCP}]",
     NULL,
     {"=base", "D:ports[0].containerPort=8080"}},
    {"driver.priorityClassName",
     NULL,
     "priorityClassName: high",
     NULL,
     {"=base", "D:priorityClassName=high"}},

    /* ---- executor */
    {"executor.template",
     NULL,
     NULL,
     "template: {spec: {containers: [{name: spark-kubernetes-executor}]}}",
     {"spark.kubernetes.executor.podTemplateFile=/tmp/spark/sid/executor-pod-template.yaml",
      "spark.kubernetes.executor.podTemplateContainerName=spark-kubernetes-executor",
      "X:spec.containers[0].name=spark-kubernetes-executor"}},
    {"executor.instances", NULL, NULL, "instances: 7", {"spark.executor.instances=7"}},
    {"executor.cores", NULL, NULL, "cores: 4", {"spark.executor.cores=4"}},
    {"executor.coreRequest",
     NULL,
     NULL,
     "coreRequest: '0.5'",
     {"spark.kubernetes.executor.request.cores=0.5"}},
    {"executor.coreLimit",
     NULL,
     NULL,
     "coreLimit: '2'",
     {"spark.kubernetes.executor.limit.cores=2"}},
    {"executor.memory", NULL, NULL, "memory: 4g", {"spark.executor.memory=4g"}},
    {"executor.memoryOverhead",
     NULL,
     NULL,
     "memoryOverhead: 1g",
     {"spark.executor.memoryOverhead=1g"}},
    {"executor.memoryLimit", NULL, NULL, "memoryLimit: 6g", {"=base", "E:memoryLimit=6g"}},
    {"executor.image",
     NULL,
     NULL,
     "image: exe:3",
     {"spark.kubernetes.executor.container.image=exe:3",
      "spark.kubernetes.driver.container.image=img"}},
    {"executor.serviceAccount",
     NULL,
     NULL,
     "serviceAccount: ex",
     {"spark.kubernetes.authenticate.executor.serviceAccountName=ex"}},
    {"executor.deleteOnTermination",
     NULL,
     NULL,
     "deleteOnTermination: false",
     {"spark.kubernetes.executor.deleteOnTermination=false"}},
    {"executor.labels",
     NULL,
     NULL,
     "labels: {l: v}",
     {"spark.kubernetes.executor.label.l=v", "!spark.kubernetes.driver.label.l"}},
    {"executor.annotations",
     NULL,
     NULL,
     "annotations: {an: v}",
     {"spark.kubernetes.executor.annotation.an=v"}},
    {"executor.envVars", NULL, NULL, "envVars: {E1: v1}", {"spark.executorEnv.E1=v1"}},
    {"executor.envSecretKeyRefs",
     NULL,
     NULL,
     "envSecretKeyRefs: {K: {name: s, key: k}}",
     {"spark.kubernetes.executor.secretKeyRef.K=s:k"}},
    {"executor.secrets",
     NULL,
     NULL,
     "secrets: [{name: g, path: /g, secretType: GCPServiceAccount}]",
     {"spark.kubernetes.executor.secrets.g=/g",
      "spark.executorEnv.GOOGLE_APPLICATION_CREDENTIALS=/g/key.json"}},
    {"executor.javaOptions",
     NULL,
     NULL,
     "javaOptions: -Xss4m",
     {"spark.executor.extraJavaOptions=-Xss4m"}},
    {"executor.env", NULL, NULL, "env: [{name: X, value: z}]", {"=base", "E:env[0].name=X"}},
    {"executor.configMaps",
     NULL,
     NULL,
     "configMaps: [{name: c, path: /c}]",
     {"=base", "E:configMaps[0].name=c"}},
    {"executor.tolerations",
     NULL,
     NULL,
     "tolerations: [{key: spot, operator: Exists}]",
     {"=base", "E:tolerations[0].key=spot", "D!tolerations"}},
    {"executor.affinity",
     NULL,
     NULL,
     "affinity: {podAntiAffinity: {}}",
     {"=base", "E:affinity.podAntiAffinity"}},
    {"executor.nodeSelector",
     NULL,
     NULL,
     "nodeSelector: {pool: spot}",
     {"=base", "E:nodeSelector.pool=spot"}},
    {"executor.ports",
     NULL,
     NULL,
     "ports: [{name: p, containerPort: 9, protocol: UDP}]",
     {"=base", "E:ports[0].protocol=UDP"}},
    {"executor.priorityClassName",
     NULL,
     NULL,
     "priorityClassName: low",
     {"=base", "E:priorityClassName=low"}},
    {"executor.schedulerName", NULL, NULL, "schedulerName: s", {"=base", "E:schedulerName=s"}},
    {"executor.sidecars",
     NULL,
     NULL,
     "sidecars: [{name: s, image: i}]",
     {"=base", "E:sidecars[0].name=s"}},
    {"executor.initContainers",
     NULL,
     NULL,
     "initContainers: [{name: s, image: i}]",
     {"=base", "E:initContainers[0].name=s"}},
    {"executor.hostNetwork", NULL, NULL, "hostNetwork: true", {"=base", "E:hostNetwork=true"}},
    {"executor.hostAliases",
     NULL,
     NULL,
     "hostAliases: [{ip: 1.2.3.4}]",
     {"=base", "E:hostAliases[0].ip=1.2.3.4"}},
    {"executor.dnsConfig",
     NULL,
     NULL,
     "dnsConfig: {searches: [a]}",
     {"=base", "E:dnsConfig.searches[0]=a"}},
    {"executor.securityContext",
     NULL,
     NULL,
     "securityContext: {privileged: false}",
     {"=base", "E:securityContext.privileged=false"}},
    {"executor.podSecurityContext",
     NULL,
     NULL,
     "podSecurityContext: {runAsUser: 1}",
     {"=base", "E:podSecurityContext.runAsUser=1"}},
    {"executor.terminationGracePeriodSeconds",
     NULL,
     NULL,
     "terminationGracePeriodSeconds: 1",
     {"=base", "E:terminationGracePeriodSeconds=1"}},
    {"executor.shareProcessNamespace",
     NULL,
     NULL,
     "shareProcessNamespace: true",
     {"=base", "E:shareProcessNamespace=true"}},
    {"executor.lifecycle",
     NULL,
     NULL,
     "lifecycle: {postStart: {}}",
     {"=base", "E:lifecycle.postStart"}},
    {"executor.envFrom",
     NULL,
     NULL,
     "envFrom: [{secretRef: {name: s}}]",
     {"=base", "E:envFrom[0].secretRef.name=s"}},
    {"executor.gpu",
     NULL,
     NULL,
     "gpu: {name: amd.com/gpu, quantity: 2}",
     {"=base", "E:gpu.quantity=2"}},
    {"executor.volumeMounts (webhook)",
     "volumes: [{name: v, emptyDir: {}}]",
     NULL,
     "volumeMounts: [{name: v, mountPath: /v}]",
     {"=base", "E:volumeMounts[0].name=v"}},
};

static bool conf_equal(const struct spark_conf *a, const struct spark_conf *b)
{
    if (spark_conf_len(a) != spark_conf_len(b))
        return false;
    for (size_t i = 0; i < spark_conf_len(a); i++)
        if (!slu_streq(spark_conf_get(b, spark_conf_key_at(a, i)), spark_conf_value_at(a, i)))
            return false;
    return true;
}

static void dump_conf(const struct spark_conf *c)
{
    for (size_t i = 0; i < spark_conf_len(c); i++)
        print_message("  %s=%s\n", spark_conf_key_at(c, i), spark_conf_value_at(c, i));
}

static void check_expect(const struct fcase *fc, const char *e, const struct spark_submission *s,
                         const struct spark_submission *base)
{
    if (strcmp(e, "=base") == 0) {
        /* the base conf, give or take keys the case itself names */
        bool same = true;
        for (size_t i = 0; i < spark_conf_len(base->conf); i++) {
            const char *k = spark_conf_key_at(base->conf, i);
            bool named = false;
            for (size_t j = 0; fc->expect[j]; j++)
                if (slu_str_has_prefix(fc->expect[j], k) && fc->expect[j][strlen(k)] == '=')
                    named = true;
            if (!named &&
                !slu_streq(spark_conf_get(s->conf, k), spark_conf_value_at(base->conf, i)))
                same = false;
        }
        if (!same || spark_conf_len(s->conf) != spark_conf_len(base->conf)) {
            dump_conf(s->conf);
            fail_msg("%s: conf differs from the base app's", fc->field);
        }
        return;
    }
    if (e[0] == '!') {
        if (spark_conf_get(s->conf, e + 1))
            fail_msg("%s: conf has %s=%s", fc->field, e + 1, spark_conf_get(s->conf, e + 1));
        return;
    }
    if (e[1] == ':' || e[1] == '!') {
        const json_t *root = NULL;
        switch (e[0]) {
        case 'D':
            root = s->driver_extras;
            break;
        case 'E':
            root = s->executor_extras;
            break;
        case 'V':
            root = s->app_volumes;
            break;
        case 'T':
            root = s->driver_template;
            break;
        case 'X':
            root = s->executor_template;
            break;
        case 'S':
            break;
        default:
            fail_msg("bad expectation %s", e);
        }
        const char *eq = strchr(e + 2, '=');
        char *path = eq ? slu_strndup(e + 2, (size_t)(eq - e - 2)) : slu_strdup(e + 2);
        if (e[0] == 'S') {
            const char *got = sub_field(s, path);
            if (!slu_streq(got, eq + 1))
                fail_msg("%s: submission %s = %s, want %s", fc->field, path, got ? got : "NULL",
                         eq + 1);
        } else if (e[1] == '!') {
            if (slu_json_path(root, path))
                fail_msg("%s: %c extras have %s", fc->field, e[0], path);
        } else if (!eq) {
            if (!slu_json_path(root, path))
                fail_msg("%s: %c lacks %s", fc->field, e[0], path);
        } else {
            char *got = text_at(root, path);
            if (strcmp(got, eq + 1) != 0) {
                char *dump = slu_json_dumps(root);
                fail_msg("%s: %c %s = %s, want %s\n%s", fc->field, e[0], path, got, eq + 1, dump);
            }
            free(got);
        }
        free(path);
        return;
    }
    const char *eq = strchr(e, '=');
    assert_non_null(eq);
    char *key = slu_strndup(e, (size_t)(eq - e));
    const char *got = spark_conf_get(s->conf, key);
    if (!slu_streq(got, eq + 1)) {
        dump_conf(s->conf);
        fail_msg("%s: conf %s = %s, want %s", fc->field, key, got ? got : "<absent>", eq + 1);
    }
    free(key);
}

static struct spark_submission *convert(json_t *app, const char *what)
{
    struct spark_submission *s = NULL;
    struct slu_err err = {0};
    if (spark_app_to_submission(app, "sid", &s, &err) != 0)
        fail_msg("%s: %s", what, err.msg);
    slu_err_release(&err);
    return s;
}

static void test_every_field(void **state)
{
    (void)state;
    json_t *base_app = make_app(NULL, NULL, NULL);
    slu_json_set(base_app, "metadata.labels",
                 json_pack("{s:s,s:s}", "team", "a", "kueue.x-k8s.io/queue-name", "q"));
    struct spark_submission *base = convert(base_app, "base");
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        const struct fcase *fc = &cases[i];
        json_t *app = make_app(fc->spec, fc->driver, fc->executor);
        slu_json_set(app, "metadata.labels",
                     json_pack("{s:s,s:s}", "team", "a", "kueue.x-k8s.io/queue-name", "q"));
        struct spark_submission *s = convert(app, fc->field);
        for (size_t j = 0; j < SLU_ARRAY_LEN(fc->expect) && fc->expect[j]; j++)
            check_expect(fc, fc->expect[j], s, base);
        /* and the conf survives the way back: app -> conf -> app -> conf */
        json_t *back = NULL;
        struct slu_err err = {0};
        /* the operator's template files are not readable here: the templates travel as JSON */
        struct spark_conf *c1 = spark_conf_copy(s->conf);
        spark_conf_unset(c1, "spark.kubernetes.driver.podTemplateFile");
        spark_conf_unset(c1, "spark.kubernetes.executor.podTemplateFile");
        if (spark_app_from_conf(c1, s->main_class, s->primary_resource, s->args, s->nargs, NULL,
                                NULL, s->spark_version, &back, &err) != 0)
            fail_msg("%s: from_conf: %s", fc->field, err.msg);
        spark_conf_free(c1);
        if (s->driver_template)
            json_object_set(json_object_get(json_object_get(back, "spec"), "driver"), "template",
                            s->driver_template);
        if (s->executor_template)
            json_object_set(json_object_get(json_object_get(back, "spec"), "executor"), "template",
                            s->executor_template);
        struct spark_submission *s2 = convert(back, fc->field);
        if (!conf_equal(s->conf, s2->conf)) {
            print_message("first:\n");
            dump_conf(s->conf);
            print_message("after the round trip:\n");
            dump_conf(s2->conf);
            fail_msg("%s: round trip changed the conf", fc->field);
        }
        spark_submission_free(s2);
        json_decref(back);
        spark_submission_free(s);
        json_decref(app);
    }
    spark_submission_free(base);
    json_decref(base_app);
}

/* One bad value per field: (spec, driver, executor fragments, field path, message part). */
struct vcase {
    const char *spec, *driver, *executor;
    const char *field;
    const char *needle;
};

static const struct vcase bad[] = {
    /* types */
    {NULL, "cores: two", NULL, "spec.driver.cores", "must be an integer, not a string (\"two\")"},
    {NULL, "cores: 1.5", NULL, "spec.driver.cores", "must be an integer, not a number"},
    {NULL, NULL, "instances: '3'", "spec.executor.instances", "must be an integer"},
    {"arguments: {a: b}", NULL, NULL, "spec.arguments", "must be a list of strings, not an object"},
    {"arguments: [1000]", NULL, NULL, "spec.arguments[0]", "quote it: \"1000\""},
    {"sparkVersion: 3.5", NULL, NULL, "spec.sparkVersion", "must be a string, not a number"},
    {"sparkConf: {spark.executor.instances: 4}", NULL, NULL,
     "spec.sparkConf[spark.executor.instances]", "must be a string"},
    {"sparkConf: [a]", NULL, NULL, "spec.sparkConf", "must be a map of strings, not a list"},
    {"hadoopConf: {a: {b: c}}", NULL, NULL, "spec.hadoopConf[a]", "must be a string"},
    {"deps: {jars: a.jar}", NULL, NULL, "spec.deps.jars", "must be a list of strings"},
    {"deps: [x]", NULL, NULL, "spec.deps", "must be an object"},
    {"imagePullSecrets: s", NULL, NULL, "spec.imagePullSecrets", "must be a list"},
    {"suspend: 'yes'", NULL, NULL, "spec.suspend", "must be a boolean"},
    {"driverPodDisruptionBudget: 1", NULL, NULL, "spec.driverPodDisruptionBudget",
     "must be a boolean"},
    {"timeToLiveSeconds: soon", NULL, NULL, "spec.timeToLiveSeconds", "must be an integer"},
    {"failureRetries: x", NULL, NULL, "spec.failureRetries", "must be an integer"},
    {"retryInterval: x", NULL, NULL, "spec.retryInterval", "must be an integer"},
    {"volumes: {a: b}", NULL, NULL, "spec.volumes", "must be a list"},
    {"volumes: [{emptyDir: {}}]", NULL, NULL, "spec.volumes[0].name", "Required value"},
    {"nodeSelector: {a: 1}", NULL, NULL, "spec.nodeSelector[a]", "must be a string"},
    {"proxyUser: [a]", NULL, NULL, "spec.proxyUser", "must be a string, not a list"},
    {"mainClass: 1", NULL, NULL, "spec.mainClass", "must be a string"},
    {"sparkConfigMap: {}", NULL, NULL, "spec.sparkConfigMap", "must be a string"},
    {"hadoopConfigMap: 3", NULL, NULL, "spec.hadoopConfigMap", "must be a string"},
    {"batchScheduler: true", NULL, NULL, "spec.batchScheduler", "must be a string"},
    {"batchSchedulerOptions: {resources: {cpu: lots}}", NULL, NULL,
     "spec.batchSchedulerOptions.resources[cpu]", "lots"},
    {"batchSchedulerOptions: {queue: 1}", NULL, NULL, "spec.batchSchedulerOptions.queue",
     "must be a string"},
    {"sparkUIOptions: {servicePort: '4040'}", NULL, NULL, "spec.sparkUIOptions.servicePort",
     "must be an integer"},
    {"sparkUIOptions: {serviceLabels: []}", NULL, NULL, "spec.sparkUIOptions.serviceLabels",
     "must be a map"},
    {"dynamicAllocation: {enabled: 'true'}", NULL, NULL, "spec.dynamicAllocation.enabled",
     "must be a boolean"},
    {"dynamicAllocation: {enabled: true, minExecutors: 5, maxExecutors: 2}", NULL, NULL,
     "spec.dynamicAllocation.maxExecutors", "greater than or equal to minExecutors (5)"},
    {"dynamicAllocation: {minExecutors: -1}", NULL, NULL, "spec.dynamicAllocation.minExecutors",
     "greater than or equal to 0"},
    {"monitoring: {exposeDriverMetrics: true}", NULL, NULL, "spec.monitoring.exposeExecutorMetrics",
     "Required value"},
    {"monitoring: {exposeDriverMetrics: true, exposeExecutorMetrics: true, prometheus: {}}", NULL,
     NULL, "spec.monitoring.prometheus.jmxExporterJar", "Required value"},
    {"monitoring: {exposeDriverMetrics: true, exposeExecutorMetrics: true, prometheus: "
     "{jmxExporterJar: j, port: 80}}",
     NULL, NULL, "spec.monitoring.prometheus.port", "greater than or equal to 1024"},
    {"monitoring: {exposeDriverMetrics: true, exposeExecutorMetrics: true, prometheus: "
     "{jmxExporterJar: j, port: 50000}}",
     NULL, NULL, "spec.monitoring.prometheus.port", "less than or equal to 49151"},
    /* enums and bounds */
    {"type: Go", NULL, NULL, "spec.type", "Unsupported value: \"Go\""},
    {"mode: local", NULL, NULL, "spec.mode", "supported values: \"cluster\", \"client\""},
    {"pythonVersion: '3.9'", NULL, NULL, "spec.pythonVersion", "Unsupported value"},
    {"imagePullPolicy: Sometimes", NULL, NULL, "spec.imagePullPolicy", "Unsupported value"},
    {"restartPolicy: {type: Maybe}", NULL, NULL, "spec.restartPolicy.type", "Unsupported"},
    {"restartPolicy: {type: OnFailure, onFailureRetries: -1}", NULL, NULL,
     "spec.restartPolicy.onFailureRetries", "greater than or equal to 0"},
    {"restartPolicy: {type: OnFailure, onSubmissionFailureRetries: -2}", NULL, NULL,
     "spec.restartPolicy.onSubmissionFailureRetries", "greater than or equal to 0"},
    {"restartPolicy: {type: Always, onFailureRetryInterval: 0}", NULL, NULL,
     "spec.restartPolicy.onFailureRetryInterval", "must be greater than 0"},
    {"restartPolicy: {type: Always, onSubmissionFailureRetryInterval: 0}", NULL, NULL,
     "spec.restartPolicy.onSubmissionFailureRetryInterval", "must be greater than 0"},
    {NULL, "cores: 0", NULL, "spec.driver.cores", "spec.driver.cores: must be greater than 0"},
    {NULL, NULL, "cores: 0", "spec.executor.cores", "must be greater than 0"},
    {NULL, NULL, "instances: 0", "spec.executor.instances", "must be greater than 0"},
    {NULL, "cores: 3000000000", NULL, "spec.driver.cores", "32-bit"},
    {"sparkVersion: latest", NULL, NULL, "spec.sparkVersion", "Spark version"},
    {"memoryOverheadFactor: high", NULL, NULL, "spec.memoryOverheadFactor", "non-negative"},
    {"mainApplicationFile: ''", NULL, NULL, "spec.mainApplicationFile", "Required value"},
    {"mainApplicationFile: 'x.py'", NULL, NULL, "spec.mainApplicationFile", "needs a jar"},
    /* pod fields */
    {NULL, "memory: lots", NULL, "spec.driver.memory", "invalid memory \"lots\""},
    {NULL, NULL, "memoryOverhead: -1g", "spec.executor.memoryOverhead", "memory"},
    {NULL, "memoryLimit: 1Gi", NULL, "spec.driver.memoryLimit", "invalid memory"},
    {NULL, "coreLimit: 1.2.3", NULL, "spec.driver.coreLimit", "invalid CPU quantity"},
    {NULL, NULL, "coreRequest: 0m", "spec.executor.coreRequest", "must be greater than 0"},
    {NULL, "coreRequest: 1", NULL, "spec.driver.coreRequest", "must be a string, not an integer"},
    {NULL, "gpu: {name: g}", NULL, "spec.driver.gpu.quantity", "Required value"},
    {NULL, "gpu: {quantity: 1}", NULL, "spec.driver.gpu.name", "Required value"},
    {NULL, "labels: {'bad key!': v}", NULL, "spec.driver.labels[bad key!]", "invalid key"},
    {NULL, NULL, "labels: {k: 'bad value!'}", "spec.executor.labels[k]", "invalid value"},
    {NULL, "labels: {k: 1}", NULL, "spec.driver.labels[k]", "must be a string"},
    {NULL, "annotations: []", NULL, "spec.driver.annotations", "must be a map"},
    {NULL, "env: {A: b}", NULL, "spec.driver.env", "must be a list"},
    {NULL, "env: [{value: x}]", NULL, "spec.driver.env[0].name", "Required value"},
    {NULL, "env: ['A=b']", NULL, "spec.driver.env[0]", "must be an object"},
    {NULL, "envVars: {A: [b]}", NULL, "spec.driver.envVars[A]", "must be a string"},
    {NULL, "envFrom: {}", NULL, "spec.driver.envFrom", "must be a list"},
    {NULL, "envSecretKeyRefs: {A: {name: s}}", NULL, "spec.driver.envSecretKeyRefs[A].key",
     "Required value"},
    {NULL, "secrets: [{name: s, path: /p}]", NULL, "spec.driver.secrets[0].secretType",
     "Required value"},
    {NULL, "secrets: [{name: Bad_Secret, path: /p, secretType: Generic}]", NULL,
     "spec.driver.secrets[0].name", "not a Secret name"},
    {NULL, "configMaps: [{name: c}]", NULL, "spec.driver.configMaps[0].path", "Required value"},
    {NULL, "volumeMounts: [{name: spark-local-dir-x, mountPath: /x}]", NULL,
     "spec.driver.volumeMounts[0].name", "volume spark-local-dir-x not found"},
    {"volumes: [{name: spark-local-dir-c, configMap: {name: c}}]", NULL,
     "volumeMounts: [{name: spark-local-dir-c, mountPath: /c}]",
     "spec.executor.volumeMounts[0].name", "unsupported volume type"},
    {NULL, "volumeMounts: [{name: v}]", NULL, "spec.driver.volumeMounts[0].mountPath",
     "Required value"},
    {NULL, "ports: [{name: p, containerPort: 70000, protocol: TCP}]", NULL,
     "spec.driver.ports[0].containerPort", "less than or equal to 65535"},
    {NULL, NULL, "ports: [{name: p, containerPort: 1, protocol: HTTP}]",
     "spec.executor.ports[0].protocol", "Unsupported value"},
    {NULL, "hostNetwork: 'true'", NULL, "spec.driver.hostNetwork", "must be a boolean"},
    {NULL, "tolerations: {}", NULL, "spec.driver.tolerations", "must be a list"},
    {NULL, "affinity: []", NULL, "spec.driver.affinity", "must be an object"},
    {NULL, "template: []", NULL, "spec.driver.template", "must be an object"},
    {NULL, "podName: Bad_Pod", NULL, "spec.driver.podName", "pod name"},
    {NULL, "serviceLabels: {a: '!'}", NULL, "spec.driver.serviceLabels[a]", "invalid value"},
    {NULL, NULL, "deleteOnTermination: 'no'", "spec.executor.deleteOnTermination",
     "must be a boolean"},
    {NULL, "terminationGracePeriodSeconds: x", NULL, "spec.driver.terminationGracePeriodSeconds",
     "must be an integer"},
    {NULL, "javaOptions: [a]", NULL, "spec.driver.javaOptions", "must be a string"},
    {NULL, "sidecars: [1]", NULL, "spec.driver.sidecars[0]", "must be an object"},
    {"driver: []", NULL, NULL, "spec.driver", "must be an object, not a list"},
    /* the Kubeflow validating webhook */
    {"sparkVersion: '2.4.5'", "template: {}", NULL, "spec.driver.template",
     "requires Spark version 3.0.0 or higher"},
    {"sparkVersion: '2.4.5'", NULL, "template: {}", "spec.executor.template", "3.0.0"},
    {"nodeSelector: {a: b}", NULL, "nodeSelector: {c: d}", "spec.nodeSelector",
     "cannot be defined at both"},
    {"driverIngressOptions: [{servicePortName: x, ingressURLFormat: u}]", NULL, NULL,
     "spec.driverIngressOptions[0].servicePort", "Required value"},
    {"driverIngressOptions: [{servicePort: 1, servicePortName: x}]", NULL, NULL,
     "spec.driverIngressOptions[0].ingressURLFormat", "Required value"},
    {"driverIngressOptions: [{servicePort: 1, servicePortName: x, ingressURLFormat: ''}]", NULL,
     NULL, "spec.driverIngressOptions[0].ingressURLFormat", "Required value"},
    {"driverIngressOptions: [{servicePort: 1, servicePortName: x, ingressURLFormat: a}, "
     "{servicePort: 1, servicePortName: y, ingressURLFormat: b}]",
     NULL, NULL, "spec.driverIngressOptions[1].servicePort", "Duplicate value: 1"},
    {"driverIngressOptions: [{servicePort: 1, servicePortName: x, ingressURLFormat: a}, "
     "{servicePort: 2, servicePortName: y, ingressURLFormat: a}]",
     NULL, NULL, "spec.driverIngressOptions[1].ingressURLFormat", "Duplicate value: \"a\""},
    {"sparkConf: {spark.kubernetes.namespace: other}", NULL, NULL,
     "spec.sparkConf[spark.kubernetes.namespace]",
     "must equal the application namespace \"ns1\", got \"other\""},
    {"sparkConf: {spark.kubernetes.driver.podTemplateFile: /t.yaml}", NULL, NULL,
     "spec.sparkConf[spark.kubernetes.driver.podTemplateFile]", "spec.driver.template"},
};

static const char *const denied_keys[] = {
    "spark.master",
    "spark.kubernetes.driver.master",
    "spark.kubernetes.container.image",
    "spark.kubernetes.driver.container.image",
    "spark.kubernetes.executor.container.image",
    "spark.kubernetes.authenticate.driver.serviceAccountName",
    "spark.kubernetes.authenticate.executor.serviceAccountName",
    "spark.kubernetes.authenticate.submission.oauthToken",
    "spark.kubernetes.authenticate.submission.oauthTokenFile",
    "spark.kubernetes.authenticate.driver.oauthToken",
    "spark.kubernetes.authenticate.driver.oauthTokenFile",
    "spark.kubernetes.authenticate.executor.oauthToken",
    "spark.kubernetes.authenticate.executor.oauthTokenFile",
};

static void expect_invalid(json_t *app, const char *field, const char *needle, const char *what)
{
    struct slu_err err = {0};
    struct spark_submission *s = NULL;
    int rc = spark_app_to_submission(app, NULL, &s, &err);
    if (rc != SLU_EINVAL)
        fail_msg("%s: expected SLU_EINVAL, got %d (%s)", what, rc, err.msg);
    assert_null(s);
    bool found = false;
    for (size_t i = 0; i < err.ncauses; i++)
        if (slu_streq(err.causes[i].field, field) && strstr(err.causes[i].message, needle) &&
            slu_str_has_prefix(err.causes[i].message, field))
            found = true;
    if (!found) {
        for (size_t i = 0; i < err.ncauses; i++)
            print_message("  cause %s: %s\n", err.causes[i].field, err.causes[i].message);
        fail_msg("%s: no cause for %s containing \"%s\"; msg: %s", what, field, needle, err.msg);
    }
    assert_string_equal(err.reason, "Invalid");
    assert_non_null(strstr(err.msg, "SparkApplication \"app\" is invalid: "));
    slu_err_release(&err);
}

static void test_every_field_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < SLU_ARRAY_LEN(bad); i++) {
        json_t *app = make_app(bad[i].spec, bad[i].driver, bad[i].executor);
        expect_invalid(app, bad[i].field, bad[i].needle, bad[i].field);
        json_decref(app);
    }
    for (size_t i = 0; i < SLU_ARRAY_LEN(denied_keys); i++) {
        json_t *app = make_app(NULL, NULL, NULL);
        slu_json_set(app, "spec.sparkConf", json_pack("{s:s}", denied_keys[i], "x"));
        char field[256];
        snprintf(field, sizeof(field), "spec.sparkConf[%s]", denied_keys[i]);
        expect_invalid(app, field, "is not allowed", denied_keys[i]);
        json_decref(app);
    }
    /* spark.kubernetes.namespace equal to the app's namespace is fine */
    json_t *app = make_app("sparkConf: {spark.kubernetes.namespace: ns1}", NULL, NULL);
    struct spark_submission *s = convert(app, "namespace in sparkConf");
    assert_string_equal(spark_conf_get(s->conf, "spark.kubernetes.namespace"), "ns1");
    spark_submission_free(s);
    json_decref(app);
}

/* Every problem is reported at once, and a flood of them is capped. */
static void test_many_causes(void **state)
{
    (void)state;
    json_t *app = make_app("type: Go, mode: x", "cores: 0, memory: m", "instances: 0");
    struct slu_err err = {0};
    assert_int_equal(spark_app_validate(app, &err), SLU_EINVAL);
    assert_true(err.ncauses >= 5);
    slu_err_release(&err);
    json_t *labels = json_object();
    for (int i = 0; i < 500; i++) {
        char k[32];
        snprintf(k, sizeof(k), "k%d", i);
        json_object_set_new(labels, k, json_integer(i));
    }
    slu_json_set(app, "spec.driver.labels", labels);
    assert_int_equal(spark_app_validate(app, &err), SLU_EINVAL);
    assert_true(err.ncauses <= 64);
    assert_non_null(strstr(err.msg, "more"));
    slu_err_release(&err);
    assert_int_equal(spark_app_validate(app, NULL), SLU_EINVAL);
    json_decref(app);
}

/* Wrong types anywhere never crash defaults or conversion. */
static void test_wrong_shapes(void **state)
{
    (void)state;
    const char *docs[] = {
        "[]",
        "42",
        "metadata: 1\nspec: 2\n",
        "metadata: {name: a}\nspec: []\n",
        "metadata: {name: a}\nspec: {driver: 1, executor: [], restartPolicy: x, "
        "dynamicAllocation: 3, sparkConf: 4, volumes: {}, monitoring: []}\n",
        "metadata: {name: [a]}\nspec: {type: 1, mode: [], sparkVersion: {}, "
        "mainApplicationFile: 5}\n",
        "metadata: {name: a, labels: 7}\nspec: {type: Scala, sparkVersion: '3.5.0', "
        "mainApplicationFile: a.jar, driver: {envSecretKeyRefs: [1], secrets: 3, "
        "volumeMounts: [1]}, executor: {env: 1}}\n",
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(docs); i++) {
        json_t *doc = NULL;
        struct slu_err err = {0};
        assert_int_equal(slu_yaml_load_one(docs[i], strlen(docs[i]), NULL, &doc, &err), 0);
        spark_app_apply_defaults(doc);
        struct spark_submission *s = NULL;
        int rc = spark_app_to_submission(doc, "x", &s, &err);
        if (rc == 0)
            fail_msg("doc %zu converted", i);
        assert_true(err.msg[0] != '\0');
        slu_err_release(&err);
        char *pn = spark_app_driver_pod_name(doc);
        assert_non_null(pn);
        free(pn);
        json_t *cm = NULL;
        spark_app_prometheus_configmap(doc, &cm, &err);
        json_decref(cm);
        slu_err_release(&err);
        json_decref(doc);
    }
    /* defaults do not clobber a mistyped member: validation still sees it */
    json_t *app = make_app("restartPolicy: 3", NULL, NULL);
    spark_app_apply_defaults(app);
    assert_true(json_is_integer(slu_json_path(app, "spec.restartPolicy")));
    expect_invalid(app, "spec.restartPolicy", "must be an object", "restartPolicy");
    json_decref(app);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_field),
        cmocka_unit_test(test_every_field_invalid),
        cmocka_unit_test(test_many_causes),
        cmocka_unit_test(test_wrong_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
